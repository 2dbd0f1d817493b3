package org.minidiffusion.diffusion.flow;

import org.minidiffusion.core.api.Tensor;

/**
 * The network as a flow sampler sees it: given samples {@code x_σ} and their timesteps, return the
 * predicted velocity {@code v ≈ ε − x_0}. The flow counterpart of
 * {@link org.minidiffusion.diffusion.Denoiser}, with the same class-label convention (a model that
 * supports classifier-free guidance reads its own "no class" label as unconditional).
 */
@FunctionalInterface
public interface VelocityModel {
    /**
     * Predicts the velocity, without changing its inputs, for a batch of samples.
     *
     * @param xt          the samples, {@code (B, ...)}
     * @param timesteps   one timestep {@code σ·T} per sample, in {@code [0, T]} (real, not integer)
     * @param classLabels one label per sample, possibly the null class, or {@code null} for an
     *                    unconditional request
     * @return the velocity, of the shape of {@code xt}
     */
    Tensor predict(Tensor xt, float[] timesteps, int[] classLabels);
}
