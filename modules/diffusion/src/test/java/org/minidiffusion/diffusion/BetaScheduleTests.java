package org.minidiffusion.diffusion;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.minidiffusion.diffusion.GoldenFileTests.assertClose;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

/** Beta schedules and {@code ᾱ}, against PyTorch in float64 and against their definitions. */
class BetaScheduleTests {

    @ParameterizedTest
    @CsvSource({
        "linear,           LINEAR,        1e-4,    0.02",
        "scaled_linear,    SCALED_LINEAR, 1e-4,    0.02",
        "scaled_linear_sd, SCALED_LINEAR, 0.00085, 0.012",
        "cosine,           COSINE,        1e-4,    0.02"})
    void betasAndAlphaBarMatchPyTorch(String key, BetaSchedule kind, double start, double end) {
        GoldenFileTests.Golden g = GoldenFileTests.load("schedules.txt");
        NoiseSchedule s = NoiseSchedule.of(kind, 1000, start, end);
        int[] index = g.ints("index");
        double[] betas = g.doubles(key + ".betas");
        double[] alphaBar = g.doubles(key + ".alpha_bar");
        float[] floatBetas = s.betas();
        float[] floatAlphaBar = s.alphaBar();
        float[] pickedBetas = new float[index.length];
        float[] pickedAlphaBar = new float[index.length];
        for (int i = 0; i < index.length; i++) {
            pickedBetas[i] = floatBetas[index[i]];
            pickedAlphaBar[i] = floatAlphaBar[index[i]];
            assertEquals(alphaBar[i], s.alphaBar(index[i]), 1e-12 * alphaBar[i], key + " double alphaBar at " + index[i]);
        }
        assertClose(betas, pickedBetas, 1e-6, 0, key + " betas");       // one float32 rounding
        assertClose(alphaBar, pickedAlphaBar, 1e-6, 0, key + " alphaBar");
    }

    @ParameterizedTest
    @EnumSource(BetaSchedule.class)
    void alphaBarFallsStrictlyFromBelowOneTowardsZero(BetaSchedule kind) {
        NoiseSchedule s = NoiseSchedule.of(kind, 1000);
        assertTrue(s.alphaBar(0) < 1);
        for (int t = 1; t < 1000; t++) {
            assertTrue(s.alphaBar(t) < s.alphaBar(t - 1), kind + ": alphaBar does not fall at " + t);
        }
        assertTrue(s.alphaBar(999) > 0 && s.alphaBar(999) < 0.01, kind + ": alphaBar_T = " + s.alphaBar(999));
        assertEquals(1.0, s.alphaBar(-1), "alphaBar(-1) is the clean sample");
    }

    @Test
    void linearSchedulesRunFromBetaStartToBetaEnd() {
        double[] linear = BetaSchedule.LINEAR.betas(1000, 1e-4, 0.02);
        assertEquals(1e-4, linear[0], 1e-18);
        assertEquals(0.02, linear[999], 1e-17);
        assertEquals(1e-4 + 0.0199 / 999 * 500, linear[500], 1e-15);
        double[] scaled = BetaSchedule.SCALED_LINEAR.betas(3, 0.01, 0.09); // sqrt: 0.1, 0.2, 0.3
        assertEquals(0.04, scaled[1], 1e-15);
    }

    @Test
    void cosineFollowsNicholAndDhariwalAndIsClippedAt0999() {
        int steps = 1000;
        double[] betas = BetaSchedule.COSINE.betas(steps, 1e-4, 0.02);
        double f0 = f(0);
        NoiseSchedule s = NoiseSchedule.fromBetas(betas);
        for (int t : new int[] {0, 10, 500, 900}) { // below the clip, ᾱ_t = f((t+1)/T) / f(0), eq. 17
            assertEquals(f((t + 1) / (double) steps) / f0, s.alphaBar(t), 1e-12, "alphaBar at " + t);
        }
        assertEquals(0.999, betas[steps - 1], 0.0, "the last beta is clipped");
        for (double b : betas) {
            assertTrue(b > 0 && b <= 0.999);
        }
    }

    private static double f(double u) {
        double c = Math.cos((u + 0.008) / 1.008 * Math.PI / 2);
        return c * c;
    }

    @Test
    void floatTablesAreConsistent() {
        NoiseSchedule s = NoiseSchedule.of(BetaSchedule.LINEAR, 100);
        float[] alphas = s.alphas();
        float[] alphaBar = s.alphaBar();
        float[] sqrtAlphaBar = s.sqrtAlphaBar();
        float[] sqrtOneMinus = s.sqrtOneMinusAlphaBar();
        float product = 1;
        for (int t = 0; t < 100; t++) {
            assertEquals(1 - s.betas()[t], alphas[t], 1e-7);
            product *= alphas[t];
            assertEquals(product, alphaBar[t], 1e-6);
            assertEquals(1, sqrtAlphaBar[t] * sqrtAlphaBar[t] + sqrtOneMinus[t] * sqrtOneMinus[t], 1e-6);
        }
        assertEquals(100, s.trainSteps());
    }

    @Test
    void badArgumentsAreRejectedWithTheirValues() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> NoiseSchedule.of(BetaSchedule.LINEAR, 1000, 0.02, 1e-4));
        assertTrue(e.getMessage().contains("betaStart 0.02"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> NoiseSchedule.of(BetaSchedule.COSINE, 0));
        assertThrows(IllegalArgumentException.class, () -> NoiseSchedule.fromBetas(0.1, 1.0));
        assertThrows(IllegalArgumentException.class, () -> NoiseSchedule.fromBetas());
        NoiseSchedule s = NoiseSchedule.of(BetaSchedule.LINEAR, 10);
        assertThrows(IllegalArgumentException.class, () -> s.alphaBar(10));
        assertThrows(IllegalArgumentException.class, () -> s.alphaBar(-2));
    }
}
