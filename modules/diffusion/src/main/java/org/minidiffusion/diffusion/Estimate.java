package org.minidiffusion.diffusion;

import org.minidiffusion.core.api.Tensor;

/**
 * A model's estimate, at {@code x_t}, of the clean sample {@code x_0} and of the noise {@code ε}
 * that was added to it. Any prediction type converts to this pair; samplers work from it.
 *
 * @param x0      the predicted clean sample, {@code x̂_0}
 * @param epsilon the predicted noise, {@code ε̂}
 */
public record Estimate(Tensor x0, Tensor epsilon) {
}
