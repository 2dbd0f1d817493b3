package org.minidiffusion.diffusion;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.minidiffusion.core.api.Backends;
import org.minidiffusion.core.api.Rng;
import org.minidiffusion.core.api.Tensor;

/** The forward process and the prediction types, on the scalar backend. */
class NoiseScheduleTests {
    private static final int[] T = {0, 250, 999};  // one timestep per sample of a batch of 3
    private final NoiseSchedule schedule = NoiseSchedule.of(BetaSchedule.LINEAR, 1000);
    private Backends.Scope scalar;

    @BeforeEach
    void useScalarBackend() {
        scalar = Backends.use("scalar");
    }

    @AfterEach
    void restoreBackend() {
        scalar.close();
    }

    @Test
    void qSampleWithoutNoiseScalesEachSampleBySqrtAlphaBarOfItsOwnTimestep() {
        Tensor x0 = Tensor.randn(new Rng(1), 3, 2, 4, 4);
        float[] xt = schedule.qSample(x0, Tensor.zeros(3, 2, 4, 4), T).toArray();
        float[] clean = x0.toArray();
        for (int i = 0; i < clean.length; i++) {
            double expected = Math.sqrt(schedule.alphaBar(T[i / 32])) * clean[i];
            assertEquals(expected, xt[i], 1e-6 * Math.abs(expected) + 1e-7, "element " + i);
        }
    }

    @Test
    void qSampleOfZeroIsScaledNoise() {
        Tensor noise = Tensor.randn(new Rng(2), 3, 5);
        float[] xt = schedule.qSample(Tensor.zeros(3, 5), noise, T).toArray();
        float[] z = noise.toArray();
        for (int i = 0; i < z.length; i++) {
            assertEquals(Math.sqrt(1 - schedule.alphaBar(T[i / 5])) * z[i], xt[i], 1e-6);
        }
    }

    @Test
    void qSampleKeepsUnitVarianceForUnitVarianceData() {
        int n = 20000;
        Tensor x0 = Tensor.randn(new Rng(3), 1, n);
        Tensor xt = schedule.qSample(x0, Tensor.randn(new Rng(4), 1, n), new int[] {500});
        assertEquals(1.0, xt.var(new int[] {0, 1}, false, 1).item(), 0.03); // variance preserving, eq. 4
    }

    @Test
    void velocityIsSqrtAlphaBarNoiseMinusSqrtOneMinusAlphaBarX0() {
        Tensor x0 = Tensor.of(new float[] {1f, 1f, 1f}, 3, 1);
        Tensor noise = Tensor.of(new float[] {2f, 2f, 2f}, 3, 1);
        float[] v = schedule.velocity(x0, noise, T).toArray();
        for (int i = 0; i < 3; i++) {
            double ab = schedule.alphaBar(T[i]);
            assertEquals(2 * Math.sqrt(ab) - Math.sqrt(1 - ab), v[i], 1e-6);
        }
    }

    @ParameterizedTest
    @EnumSource(PredictionType.class)
    void targetThenEstimateRoundTripsToX0AndNoise(PredictionType type) {
        int[] t = {10, 500, 900};
        Tensor x0 = Tensor.randn(new Rng(5), 3, 1, 4, 4).clamp(-1f, 1f);
        Tensor noise = Tensor.randn(new Rng(6), 3, 1, 4, 4);
        Tensor xt = schedule.qSample(x0, noise, t);
        Tensor target = schedule.target(type, x0, noise, t);
        Estimate e = schedule.estimate(type, xt, target, t);
        assertNear(x0, e.x0(), 2e-3, type + " x0");        // sqrt(ᾱ_900) ≈ 0.018 amplifies float32 error
        assertNear(noise, e.epsilon(), 2e-3, type + " epsilon");
    }

    @Test
    void theTargetsAreNoiseVelocityAndSample() {
        Tensor x0 = Tensor.randn(new Rng(7), 3, 4);
        Tensor noise = Tensor.randn(new Rng(8), 3, 4);
        assertArrayEquals(noise.toArray(), schedule.target(PredictionType.EPSILON, x0, noise, T).toArray());
        assertArrayEquals(x0.toArray(), schedule.target(PredictionType.SAMPLE, x0, noise, T).toArray());
        assertArrayEquals(schedule.velocity(x0, noise, T).toArray(),
                schedule.target(PredictionType.V_PREDICTION, x0, noise, T).toArray());
    }

    @Test
    void estimatesFromTheThreeTypesAgree() {
        int[] t = {100, 300, 700};
        Tensor x0 = Tensor.randn(new Rng(9), 3, 6);
        Tensor noise = Tensor.randn(new Rng(10), 3, 6);
        Tensor xt = schedule.qSample(x0, noise, t);
        Estimate fromV = schedule.estimate(PredictionType.V_PREDICTION, xt, schedule.velocity(x0, noise, t), t);
        Estimate fromEps = schedule.estimate(PredictionType.EPSILON, xt, noise, t);
        assertNear(fromEps.x0(), fromV.x0(), 1e-4, "x0 from epsilon vs v");
        assertNear(fromEps.epsilon(), fromV.epsilon(), 1e-4, "epsilon from epsilon vs v");
    }

    @Test
    void randomTimestepsAreSeededAndInRange() {
        int[] a = schedule.randomTimesteps(new Rng(11), 1000);
        assertArrayEquals(a, schedule.randomTimesteps(new Rng(11), 1000));
        assertTrue(java.util.Arrays.stream(a).allMatch(t -> t >= 0 && t < 1000));
        assertTrue(java.util.Arrays.stream(a).distinct().count() > 500);
    }

    @Test
    void oneTimestepPerSampleIsRequired() {
        Tensor x0 = Tensor.zeros(3, 4);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> schedule.qSample(x0, x0, new int[] {1, 2}));
        assertTrue(e.getMessage().contains("2 timesteps"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> schedule.qSample(x0, x0, new int[] {1, 2, 1000}));
    }

    @Test
    void posteriorVarianceIsBetaTildeOfEq7() {
        for (int t = 1; t < 1000; t += 111) {
            double beta = 1 - schedule.alphaBar(t) / schedule.alphaBar(t - 1);
            double expected = (1 - schedule.alphaBar(t - 1)) / (1 - schedule.alphaBar(t)) * beta;
            assertEquals(expected, schedule.posteriorVariance(t, t - 1), 1e-15);
            assertEquals(schedule.betas()[t], beta, 1e-7);
        }
        assertEquals(0.0, schedule.posteriorVariance(50, -1));
    }

    private static void assertNear(Tensor expected, Tensor actual, double tolerance, String what) {
        float[] e = expected.toArray();
        float[] a = actual.toArray();
        assertEquals(e.length, a.length, what);
        for (int i = 0; i < e.length; i++) {
            assertEquals(e[i], a[i], tolerance, what + " element " + i);
        }
    }
}
