package org.minidiffusion.diffusion;

/**
 * How a sampler with {@code n} steps picks its timesteps among the {@code T} training steps;
 * diffusers' {@code timestep_spacing}.
 *
 * <p>Each option reproduces diffusers' {@code DDIMScheduler.set_timesteps} with
 * {@code steps_offset = 0}, including NumPy's floating-point arithmetic and its rounding of halves
 * to even, so the arrays are equal entry for entry. One deliberate difference: NumPy's
 * {@code arange} sometimes yields {@code n + 1} trailing timesteps, the last of them −1 (for
 * example {@code T = 1000, n = 61}); here there are always exactly {@code n}.
 *
 * <p>For {@code T = 1000, n = 7}: leading gives {@code 852 710 568 426 284 142 0}, linspace
 * {@code 999 832 666 500 333 166 0}, trailing {@code 999 856 713 570 428 285 142}. Trailing and
 * linspace start from the noisiest step {@code T − 1}; leading does not, which Lin et al. 2024,
 * "Common Diffusion Noise Schedules and Sample Steps are Flawed", show to hurt.
 */
public enum TimestepSpacing {
    /** {@code arange(0, n) · (T div n)}, reversed: multiples of the integer stride, ending at 0. */
    LEADING {
        @Override
        int[] compute(int trainSteps, int n) {
            int stride = trainSteps / n;
            int[] timesteps = new int[n];
            for (int i = 0; i < n; i++) {
                timesteps[i] = (n - 1 - i) * stride;
            }
            return timesteps;
        }
    },

    /** {@code round(linspace(0, T − 1, n))}, reversed: both ends included. */
    LINSPACE {
        @Override
        int[] compute(int trainSteps, int n) {
            double step = n > 1 ? (trainSteps - 1) / (double) (n - 1) : 0; // numpy.linspace: i * step + start
            int[] timesteps = new int[n];
            for (int i = 0; i < n; i++) {
                int j = n - 1 - i;
                timesteps[i] = j == n - 1 && n > 1 ? trainSteps - 1 : (int) Math.rint(j * step);
            }
            return timesteps;
        }
    },

    /** {@code round(arange(T, 0, −T/n)) − 1}: counts down from {@code T − 1} by {@code T/n}. */
    TRAILING {
        @Override
        int[] compute(int trainSteps, int n) {
            // numpy.arange with a float step: v0 = start, v1 = start + step, v_i = start + i * (v1 - v0)
            double start = trainSteps;
            double delta = (start + -((double) trainSteps / n)) - start;
            int[] timesteps = new int[n];
            for (int i = 0; i < n; i++) {
                timesteps[i] = (int) Math.rint(start + i * delta) - 1;
            }
            return timesteps;
        }
    };

    /**
     * Returns the timesteps a sampler visits, noisiest first.
     *
     * @param trainSteps     T, the number of training steps
     * @param inferenceSteps n, the number of sampling steps, in {@code [1, T]}
     * @return n distinct timesteps in {@code [0, T)}, in descending order
     * @throws IllegalArgumentException if n is not in {@code [1, T]}
     */
    public int[] timesteps(int trainSteps, int inferenceSteps) {
        if (inferenceSteps < 1 || inferenceSteps > trainSteps) {
            throw new IllegalArgumentException(this + ": the number of sampling steps (" + inferenceSteps
                    + ") must be between 1 and the number of training steps (" + trainSteps + ")");
        }
        return compute(trainSteps, inferenceSteps);
    }

    abstract int[] compute(int trainSteps, int n);
}
