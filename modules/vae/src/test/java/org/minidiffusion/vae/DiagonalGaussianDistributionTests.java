package org.minidiffusion.vae;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.minidiffusion.core.api.Backend;
import org.minidiffusion.core.api.Backends;
import org.minidiffusion.core.api.Rng;
import org.minidiffusion.core.api.ShapeException;
import org.minidiffusion.core.api.Tensor;
import org.minidiffusion.testkit.GoldenCheck;

/** Known values of the posterior: which half is which, the clamp, the reparameterisation and the KL term. */
class DiagonalGaussianDistributionTests {
    // One sample, 2 latent channels of 1x2: mean (channels 0, 1), then log-variance (channels 2, 3).
    private static final float[] MEAN = {1f, -2f, 0.5f, 0f};
    private static final float[] LOGVAR = {(float) Math.log(4.0), 0f, -40f, 25f}; // the last two are clamped
    private static final double[] CLAMPED = {Math.log(4.0), 0.0, -30.0, 20.0};

    static java.util.List<String> backends() {
        return GoldenCheck.BACKENDS;
    }

    private static Tensor moments() {
        float[] data = new float[8];
        System.arraycopy(MEAN, 0, data, 0, 4);
        System.arraycopy(LOGVAR, 0, data, 4, 4);
        return Tensor.of(data, 1, 4, 1, 2);
    }

    @ParameterizedTest(name = "on {0}")
    @MethodSource("backends")
    void meanIsTheFirstHalfAndTheLogVarianceTheSecondClamped(String backendId) {
        Backends.get(backendId).run(() -> {
            DiagonalGaussianDistribution d = new DiagonalGaussianDistribution(moments());
            assertArrayEquals(MEAN, d.mean().toArray());
            assertArrayEquals(MEAN, d.mode().toArray());
            assertArrayEquals(new float[] {(float) Math.log(4.0), 0f, -30f, 20f}, d.logvar().toArray());
            float[] std = d.std().toArray();
            float[] var = d.var().toArray();
            for (int i = 0; i < 4; i++) {
                assertEquals(Math.exp(CLAMPED[i] / 2), std[i], 1e-6 * Math.exp(CLAMPED[i] / 2), "std " + i);
                assertEquals(Math.exp(CLAMPED[i]), var[i], 1e-6 * Math.exp(CLAMPED[i]), "var " + i);
            }
        });
    }

    /** KL = 0.5 sum(mean² + var − 1 − logvar), with the clamped log-variance; its gradient is zero where the clamp acts. */
    @ParameterizedTest(name = "on {0}")
    @MethodSource("backends")
    void klToTheStandardNormalAndItsGradient(String backendId) {
        Backends.get(backendId).run(() -> {
            Tensor m = moments().requireGrad();
            Tensor kl = new DiagonalGaussianDistribution(m).kl();
            double expected = 0;
            for (int i = 0; i < 4; i++) {
                expected += 0.5 * (MEAN[i] * MEAN[i] + Math.exp(CLAMPED[i]) - 1 - CLAMPED[i]);
            }
            assertArrayEquals(new int[] {1}, kl.shape().toArray());
            assertEquals(expected, kl.item(), 1e-6 * expected);
            kl.sum().backward();
            float[] g = m.grad().toArray();
            for (int i = 0; i < 4; i++) {
                assertEquals(MEAN[i], g[i], 1e-6, "d kl / d mean " + i);
            }
            assertEquals(0.5 * (4 - 1), g[4], 1e-6, "d kl / d logvar, unclamped");
            assertEquals(0.0, g[5], 1e-6, "d kl / d logvar at logvar 0");
            assertEquals(0f, g[6], "no gradient below the clamp");
            assertEquals(0f, g[7], "no gradient above the clamp");
        });
    }

    /** z = mean + std · eps, differentiable in both halves (Kingma and Welling 2014, eq. 10). */
    @ParameterizedTest(name = "on {0}")
    @MethodSource("backends")
    void reparameterisedSample(String backendId) {
        Backends.get(backendId).run(() -> {
            Tensor m = moments().requireGrad();
            DiagonalGaussianDistribution d = new DiagonalGaussianDistribution(m);
            float[] eps = {0.5f, -1f, 2f, 1e-3f};
            Tensor z = d.sample(Tensor.of(eps, 1, 2, 1, 2));
            float[] zs = z.toArray();
            for (int i = 0; i < 4; i++) {
                double want = MEAN[i] + Math.exp(CLAMPED[i] / 2) * eps[i];
                assertEquals(want, zs[i], 1e-6 * Math.max(1, Math.abs(want)), "z " + i);
            }
            z.sum().backward();
            float[] g = m.grad().toArray();
            assertEquals(1f, g[0]);
            assertEquals(0.5 * 2 * 0.5, g[4], 1e-6, "d z / d logvar = std eps / 2");
            assertEquals(0.5 * 1 * -1, g[5], 1e-6);
        });
    }

    /** The same seed draws the same noise on every backend, and sample(rng) is sample(randn(rng)). */
    @ParameterizedTest(name = "on {0}")
    @MethodSource("backends")
    void seededSampleIsReproducible(String backendId) {
        Backend backend = Backends.get(backendId);
        backend.run(() -> {
            DiagonalGaussianDistribution d = new DiagonalGaussianDistribution(moments());
            float[] a = d.sample(new Rng(42)).toArray();
            float[] b = d.sample(Tensor.randn(new Rng(42), 1, 2, 1, 2)).toArray();
            assertArrayEquals(b, a);
            float[] onScalar = Backends.get("scalar").call(() ->
                    new DiagonalGaussianDistribution(moments()).sample(new Rng(42)).toArray());
            assertArrayEquals(onScalar, a);
            assertTrue(a[0] != MEAN[0], "the sample is not the mean");
        });
    }

    @ParameterizedTest(name = "on {0}")
    @MethodSource("backends")
    void badShapesAreNamed(String backendId) {
        Backends.get(backendId).run(() -> {
            ShapeException odd = assertThrows(ShapeException.class,
                    () -> new DiagonalGaussianDistribution(Tensor.zeros(1, 3, 2, 2)));
            assertTrue(odd.getMessage().contains("[1, 3, 2, 2]") || odd.getMessage().contains("(1, 3, 2, 2)"),
                    odd.getMessage());
            DiagonalGaussianDistribution d = new DiagonalGaussianDistribution(moments());
            ShapeException eps = assertThrows(ShapeException.class, () -> d.sample(Tensor.zeros(1, 2, 2, 1)));
            assertTrue(eps.getMessage().contains("eps"), eps.getMessage());
        });
    }
}
