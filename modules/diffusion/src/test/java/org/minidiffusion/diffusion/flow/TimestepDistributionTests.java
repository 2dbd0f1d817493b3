package org.minidiffusion.diffusion.flow;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.minidiffusion.core.api.Rng;

/**
 * Training timestep sampling against its statistics, seeded: every bound is five standard errors,
 * so a correct sampler fails with probability below 1e-6 per check, and the seed makes it
 * reproducible.
 */
class TimestepDistributionTests {
    private static final int N = 200_000;

    @Test
    void uniformHasTheMomentsOfU01() {
        double[] t = TimestepDistribution.uniform().sample(new Rng(1), N);
        double mean = mean(t);
        double var = variance(t, mean);
        assertEquals(0.5, mean, 5 * Math.sqrt(1.0 / 12 / N), "mean");
        assertEquals(1.0 / 12, var, 5 * Math.sqrt(1.0 / 180 / N), "variance"); // Var((U − 1/2)²) = 1/80 − 1/144 = 1/180
        for (double v : t) {
            assertTrue(v >= 0 && v < 1, "in [0, 1): " + v);
        }
    }

    /** {@code logit(t)} is {@code N(m, s²)}, and the histogram of {@code t} follows eq. 19's density. */
    @Test
    void logitNormalFollowsEsserEquation19() {
        for (double[] ms : new double[][] {{0, 1}, {0.5, 0.8}, {-1, 1.5}}) {
            double m = ms[0];
            double s = ms[1];
            String what = "logit-normal(" + m + ", " + s + ")";
            double[] t = TimestepDistribution.logitNormal(m, s).sample(new Rng(7), N);
            double[] u = new double[N];
            for (int i = 0; i < N; i++) {
                assertTrue(t[i] > 0 && t[i] < 1, what + ": in (0, 1)");
                u[i] = Math.log(t[i] / (1 - t[i]));
            }
            double mean = mean(u);
            assertEquals(m, mean, 5 * s / Math.sqrt(N), what + ": mean of logit(t)");
            assertEquals(s * s, variance(u, mean), 5 * s * s * Math.sqrt(2.0 / N), what + ": variance of logit(t)");

            // 20 bins of t, each against the integral of π_ln(t; m, s) over it (Simpson, 200 panels)
            int bins = 20;
            int[] counts = new int[bins];
            for (double v : t) {
                counts[Math.min(bins - 1, (int) (v * bins))]++;
            }
            double total = 0;
            for (int b = 0; b < bins; b++) {
                double p = integrate(m, s, (double) b / bins, (b + 1.0) / bins);
                total += p;
                double freq = counts[b] / (double) N;
                assertEquals(p, freq, 5 * Math.sqrt(p * (1 - p) / N) + 1e-9, what + ": bin " + b);
            }
            assertEquals(1.0, total, 1e-6, what + ": the density integrates to 1");
        }
    }

    @Test
    void theSeedFixesTheDraws() {
        TimestepDistribution d = TimestepDistribution.logitNormal(0, 1);
        assertArrayEquals(d.sample(new Rng(3), 16), d.sample(new Rng(3), 16));
        assertTrue(d.sample(new Rng(3), 1)[0] != d.sample(new Rng(4), 1)[0]);
    }

    @Test
    void badParametersAreNamed() {
        String message = assertThrows(IllegalArgumentException.class,
                () -> TimestepDistribution.logitNormal(0, 0)).getMessage();
        assertTrue(message.contains("s = 0.0"), message);
    }

    /** π_ln(t; m, s) = exp(−(logit t − m)² / 2s²) / (s·sqrt(2π)·t(1 − t)), Esser et al. 2024, eq. 19. */
    private static double density(double m, double s, double t) {
        if (t <= 0 || t >= 1) {
            return 0;
        }
        double z = (Math.log(t / (1 - t)) - m) / s;
        return Math.exp(-z * z / 2) / (s * Math.sqrt(2 * Math.PI) * t * (1 - t));
    }

    private static double integrate(double m, double s, double a, double b) {
        int panels = 200;
        double h = (b - a) / panels;
        double sum = density(m, s, a) + density(m, s, b);
        for (int i = 1; i < panels; i++) {
            sum += (i % 2 == 1 ? 4 : 2) * density(m, s, a + i * h);
        }
        return sum * h / 3;
    }

    private static double mean(double[] v) {
        double sum = 0;
        for (double x : v) {
            sum += x;
        }
        return sum / v.length;
    }

    private static double variance(double[] v, double mean) {
        double sum = 0;
        for (double x : v) {
            sum += (x - mean) * (x - mean);
        }
        return sum / (v.length - 1);
    }
}
