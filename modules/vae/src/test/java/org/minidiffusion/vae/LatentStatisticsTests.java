package org.minidiffusion.vae;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.minidiffusion.core.api.Rng;
import org.minidiffusion.core.api.Tensor;

/** The latent scaling factors: shift = mean, scale = 1 / population std, over every value added. */
class LatentStatisticsTests {
    @Test
    void knownValuesOverSeveralBatches() {
        LatentStatistics s = new LatentStatistics();
        s.add(Tensor.of(new float[] {1f, 3f}, 1, 2));
        s.add(Tensor.of(new float[] {5f, 7f, 9f}, 3));
        assertEquals(5, s.count());
        assertEquals(5.0, s.mean(), 1e-12);
        assertEquals(Math.sqrt(8.0), s.std(), 1e-12);   // mean of (16, 4, 0, 4, 16) = 8
        assertEquals(5f, s.shiftFactor());
        assertEquals((float) (1 / Math.sqrt(8.0)), s.scalingFactor());
    }

    /** Far from zero, the variance keeps its precision (a naive sum of squares in float would lose it). */
    @Test
    void latentsFarFromZero() {
        float[] z = new float[10_000];
        Rng rng = new Rng(5);
        for (int i = 0; i < z.length; i++) {
            z[i] = 1000f + (float) rng.nextGaussian() * 0.01f;
        }
        LatentStatistics s = new LatentStatistics();
        s.add(Tensor.of(z, z.length));
        double mean = 0;
        for (float v : z) {
            mean += v;
        }
        mean /= z.length;
        double var = 0;
        for (float v : z) {
            var += (v - mean) * (v - mean);
        }
        assertEquals(mean, s.mean(), 1e-9);
        assertEquals(Math.sqrt(var / z.length), s.std(), 1e-9);
    }

    /** Scaled by its own factors, a data set has mean 0 and variance 1. */
    @Test
    void scaledLatentsHaveUnitVariance() {
        Tensor z = Tensor.randn(new Rng(3), 4, 4, 8, 8).mul(3f).add(0.7f);
        LatentStatistics s = new LatentStatistics();
        s.add(z);
        AutoencoderKL vae = new AutoencoderKL(AutoencoderKLConfig.of(1, new int[] {4}, 1, 4, 4, 8)
                .withLatentScaling(s.scalingFactor(), s.shiftFactor()), new Rng(0));
        LatentStatistics scaled = new LatentStatistics();
        scaled.add(vae.scaleLatent(z));
        assertEquals(0.0, scaled.mean(), 1e-5);
        assertEquals(1.0, scaled.std(), 1e-5);
    }

    @Test
    void emptyConstantAndNonFiniteLatentsAreErrors() {
        LatentStatistics s = new LatentStatistics();
        assertThrows(IllegalStateException.class, s::mean);
        s.add(Tensor.full(2f, 3));
        IllegalStateException e = assertThrows(IllegalStateException.class, s::scalingFactor);
        assertTrue(e.getMessage().contains("all equal (2.0)"), e.getMessage());
        IllegalArgumentException nan = assertThrows(IllegalArgumentException.class,
                () -> s.add(Tensor.of(new float[] {0f, Float.NaN}, 2)));
        assertTrue(nan.getMessage().contains("[1] of (2) is NaN"), nan.getMessage());
    }
}
