package org.minidiffusion.diffusion;

import org.minidiffusion.core.api.Tensor;

/**
 * The network as a sampler sees it: given noisy samples and their timesteps, return the
 * prediction of the model's {@link PredictionType} ({@code ε}, {@code v} or {@code x_0}).
 *
 * <p><b>Classes.</b> A class-conditional model takes one label per sample. For classifier-free
 * guidance it must also accept a "no class" label, its {@code NULL_CLASS}: the model chooses that
 * id (usually {@code numClasses}, one extra row of its label embedding, which training uses for
 * dropped labels), and the caller passes it to
 * {@link SampleRequest#withGuidance(float, int)}. An unconditional model ignores the labels,
 * which are then {@code null}.
 */
@FunctionalInterface
public interface Denoiser {
    /**
     * Predicts, without changing its inputs, for a batch of noisy samples.
     *
     * @param xt          the noisy samples, {@code (B, ...)}
     * @param t           one timestep per sample, in {@code [0, T)}
     * @param classLabels one label per sample, possibly the null class, or {@code null} for an
     *                    unconditional request
     * @return the prediction, of the shape of {@code xt}
     */
    Tensor predict(Tensor xt, int[] t, int[] classLabels);
}
