package org.minidiffusion.diffusion.flow;

import org.minidiffusion.core.api.Rng;

/**
 * How training draws the time {@code t ∈ [0, 1]} of each sample (Esser et al. 2024, section 3.1).
 * Apply {@link FlowSchedule#shift} to the drawn values for a shifted schedule.
 */
public sealed interface TimestepDistribution {

    /**
     * Returns the uniform distribution on {@code [0, 1)} (Lipman et al. 2023; Liu et al. 2023).
     *
     * @return the distribution
     */
    static TimestepDistribution uniform() {
        return new Uniform();
    }

    /**
     * Returns the logit-normal distribution {@code t = sigmoid(u)}, {@code u ~ N(m, s²)}, whose
     * density is {@code π_ln(t; m, s) = exp(−(logit(t) − m)² / (2s²)) / (s·sqrt(2π)·t·(1 − t))}
     * (Esser et al. 2024, eq. 19); SD3 trains with {@code m = 0}, {@code s = 1}.
     *
     * @param m the location {@code m}, the mean of {@code u}
     * @param s the scale {@code s}, the standard deviation of {@code u}, positive
     * @return the distribution
     */
    static TimestepDistribution logitNormal(double m, double s) {
        return new LogitNormal(m, s);
    }

    /**
     * Draws one time.
     *
     * @param rng the generator
     * @return {@code t} in {@code [0, 1]}
     */
    double sample(Rng rng);

    /**
     * Draws one time per sample of a batch, in order.
     *
     * @param rng the generator
     * @param n   the batch size
     * @return {@code n} times
     */
    default double[] sample(Rng rng, int n) {
        double[] t = new double[n];
        for (int i = 0; i < n; i++) {
            t[i] = sample(rng);
        }
        return t;
    }

    /** Uniform on {@code [0, 1)}. */
    record Uniform() implements TimestepDistribution {
        @Override
        public double sample(Rng rng) {
            return rng.nextDouble();
        }
    }

    /**
     * Logit-normal: {@code sigmoid(u)} with {@code u ~ N(m, s²)} (Esser et al. 2024, eq. 19).
     *
     * @param m the mean of {@code u}
     * @param s the standard deviation of {@code u}
     */
    record LogitNormal(double m, double s) implements TimestepDistribution {
        /**
         * Checks the parameters.
         *
         * @param m finite
         * @param s positive and finite
         */
        public LogitNormal {
            if (!Double.isFinite(m) || !(s > 0) || Double.isInfinite(s)) {
                throw new IllegalArgumentException("TimestepDistribution.logitNormal: need a finite m and a positive, "
                        + "finite s; got m = " + m + ", s = " + s);
            }
        }

        @Override
        public double sample(Rng rng) {
            double u = m + s * rng.nextGaussian();   // u ~ N(m, s²)
            return 1 / (1 + Math.exp(-u));           // t = sigmoid(u)
        }
    }
}
