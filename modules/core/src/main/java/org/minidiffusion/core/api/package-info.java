/**
 * Tensors, layers, autograd and backend selection: the part of mini-diffusion that models use.
 *
 * <p>Start with {@link org.minidiffusion.core.api.Tensor} and {@link org.minidiffusion.core.api.Backends}.
 * Inference loops keep no tape inside {@link org.minidiffusion.core.api.Autograd#noGrad()}, and reuse
 * their buffers from one iteration to the next in a {@link org.minidiffusion.core.api.Workspace}.
 */
package org.minidiffusion.core.api;
