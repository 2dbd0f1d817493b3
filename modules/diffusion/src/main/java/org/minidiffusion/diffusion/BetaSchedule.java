package org.minidiffusion.diffusion;

/**
 * How the noise variances {@code β_t} of the forward process grow with {@code t}; the options of
 * diffusers' {@code beta_schedule}.
 */
public enum BetaSchedule {
    /**
     * DDPM's schedule (Ho et al. 2020, section 4): {@code β} linear from {@code betaStart} to
     * {@code betaEnd}, 1e-4 to 0.02 by default. diffusers' {@code linear}.
     */
    LINEAR {
        @Override
        double[] compute(int trainSteps, double betaStart, double betaEnd) {
            return linspace(betaStart, betaEnd, trainSteps);
        }
    },

    /**
     * Linear in {@code sqrt(β)}, then squared, as latent diffusion and Stable Diffusion use (with
     * {@code betaStart = 0.00085}, {@code betaEnd = 0.012}). diffusers' {@code scaled_linear}.
     */
    SCALED_LINEAR {
        @Override
        double[] compute(int trainSteps, double betaStart, double betaEnd) {
            double[] betas = linspace(Math.sqrt(betaStart), Math.sqrt(betaEnd), trainSteps);
            for (int t = 0; t < betas.length; t++) {
                betas[t] *= betas[t];
            }
            return betas;
        }
    },

    /**
     * The cosine schedule of Nichol and Dhariwal 2021, eq. 17: {@code ᾱ(t) = f(t) / f(0)} with
     * {@code f(t) = cos²((t/T + s) / (1 + s) · π/2)}, {@code s = 0.008}, and
     * {@code β_t = 1 − ᾱ(t) / ᾱ(t−1)} clipped at 0.999 (their section 3.2). It ignores
     * {@code betaStart} and {@code betaEnd}. diffusers' {@code squaredcos_cap_v2}.
     */
    COSINE {
        @Override
        double[] compute(int trainSteps, double betaStart, double betaEnd) {
            double[] betas = new double[trainSteps];
            for (int t = 0; t < trainSteps; t++) {
                double ratio = f((t + 1) / (double) trainSteps) / f(t / (double) trainSteps);
                betas[t] = Math.min(1 - ratio, MAX_COSINE_BETA);
            }
            return betas;
        }

        private double f(double u) {
            double c = Math.cos((u + COSINE_S) / (1 + COSINE_S) * Math.PI / 2);
            return c * c;
        }
    };

    /** DDPM's first {@code β}, 1e-4. */
    public static final double DEFAULT_BETA_START = 1e-4;
    /** DDPM's last {@code β}, 0.02. */
    public static final double DEFAULT_BETA_END = 0.02;

    private static final double COSINE_S = 0.008;
    private static final double MAX_COSINE_BETA = 0.999;

    /**
     * Returns {@code β_t} for {@code t = 0 .. T−1} (the paper's {@code t = 1 .. T}), in double precision.
     *
     * @param trainSteps T, the number of diffusion steps, at least 1
     * @param betaStart  the first {@code β} of the linear schedules, in {@code (0, 1)}
     * @param betaEnd    the last {@code β} of the linear schedules, in {@code [betaStart, 1)}
     * @return a new array of T values in {@code (0, 1)}
     * @throws IllegalArgumentException if an argument is out of range
     */
    public double[] betas(int trainSteps, double betaStart, double betaEnd) {
        if (trainSteps < 1) {
            throw new IllegalArgumentException(this + ": trainSteps must be at least 1, got " + trainSteps);
        }
        if (!(betaStart > 0 && betaStart <= betaEnd && betaEnd < 1)) {
            throw new IllegalArgumentException(this + ": need 0 < betaStart <= betaEnd < 1, got betaStart "
                    + betaStart + ", betaEnd " + betaEnd);
        }
        return compute(trainSteps, betaStart, betaEnd);
    }

    abstract double[] compute(int trainSteps, double betaStart, double betaEnd);

    /** {@code n} evenly spaced values from {@code start} to {@code end} inclusive, as {@code torch.linspace}. */
    private static double[] linspace(double start, double end, int n) {
        double[] values = new double[n];
        for (int i = 0; i < n; i++) {
            values[i] = n == 1 ? start : start + (end - start) * i / (n - 1);
        }
        return values;
    }
}
