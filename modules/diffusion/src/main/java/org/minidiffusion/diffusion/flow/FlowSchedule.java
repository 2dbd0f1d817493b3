package org.minidiffusion.diffusion.flow;

/**
 * The sigma schedule of diffusers' {@code FlowMatchEulerDiscreteScheduler} (static shift, no
 * Karras, exponential or beta sigmas): the same sigmas and timesteps for the same
 * {@code num_train_timesteps}, {@code shift} and {@code num_inference_steps}.
 *
 * <p>The training grid is {@code σ_k = shift(k / T)} for {@code k = T, T−1, ..., 1}, so it runs from
 * {@code σ_max = 1} to {@code σ_min = shift(1 / T)}. For {@code n} inference steps diffusers spaces
 * {@code n} points linearly from {@code σ_max} to {@code σ_min}, shifts them (a second time for the
 * end point: {@code σ_min} is already shifted), and appends {@code σ = 0}; the timesteps are
 * {@code σ·T}. This class computes in double; diffusers rounds sigmas to float32 and computes the
 * timesteps in float32, a difference below float32 resolution.
 *
 * @param numTrainTimesteps {@code T}, diffusers' {@code num_train_timesteps}
 * @param shift             the shift; 1 for none, 3 for SD3
 */
public record FlowSchedule(int numTrainTimesteps, double shift) {

    /**
     * Checks the settings.
     *
     * @param numTrainTimesteps {@code T}, at least 1
     * @param shift             positive and finite
     * @throws IllegalArgumentException otherwise
     */
    public FlowSchedule {
        if (numTrainTimesteps < 1) {
            throw new IllegalArgumentException("FlowSchedule: num_train_timesteps must be at least 1, got "
                    + numTrainTimesteps);
        }
        if (!(shift > 0) || Double.isInfinite(shift)) {
            throw new IllegalArgumentException("FlowSchedule: shift must be positive and finite, got " + shift);
        }
    }

    /**
     * Shifts a sigma toward noise: {@code σ' = shift·σ / (1 + (shift − 1)·σ)} (Esser et al. 2024,
     * eq. 23 with {@code shift = sqrt(m/n)}); equivalently {@code logit(σ') = logit(σ) + ln(shift)}.
     *
     * @param sigma a sigma in {@code [0, 1]}
     * @param shift the shift, positive
     * @return {@code σ'}, in {@code [0, 1]}
     */
    public static double shift(double sigma, double shift) {
        return shift * sigma / (1 + (shift - 1) * sigma);
    }

    /**
     * Returns the noisiest sigma of the training grid, {@code shift(T / T) = 1}.
     *
     * @return {@code σ_max}
     */
    public double sigmaMax() {
        return shift(1.0, shift);
    }

    /**
     * Returns the least noisy sigma of the training grid, {@code shift(1 / T)}.
     *
     * @return {@code σ_min}
     */
    public double sigmaMin() {
        return shift(1.0 / numTrainTimesteps, shift);
    }

    /**
     * Returns the inference sigmas, from {@code σ_max} down, with {@code 0} appended.
     *
     * @param steps {@code num_inference_steps}, at least 1
     * @return {@code steps + 1} sigmas, decreasing, the last one 0
     * @throws IllegalArgumentException if {@code steps < 1}
     */
    public double[] sigmas(int steps) {
        if (steps < 1) {
            throw new IllegalArgumentException("FlowSchedule: the number of inference steps must be at least 1, got "
                    + steps);
        }
        double start = sigmaMax(); // np.linspace(σ_max·T, σ_min·T, n) / T
        double end = sigmaMin();
        double[] sigmas = new double[steps + 1]; // the last one stays 0
        for (int i = 0; i < steps; i++) {
            double linear = steps == 1 ? start : start + (end - start) * i / (steps - 1);
            sigmas[i] = shift(linear, shift);
        }
        return sigmas;
    }

    /**
     * Returns the inference timesteps {@code σ_i·T}, the values the model receives.
     *
     * @param steps {@code num_inference_steps}, at least 1
     * @return {@code steps} timesteps, decreasing, without the appended 0
     */
    public double[] timesteps(int steps) {
        double[] sigmas = sigmas(steps);
        double[] timesteps = new double[steps];
        for (int i = 0; i < steps; i++) {
            timesteps[i] = sigmas[i] * numTrainTimesteps;
        }
        return timesteps;
    }
}
