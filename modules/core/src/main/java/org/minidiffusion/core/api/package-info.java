/**
 * Tensors, layers, autograd and backend selection: the part of mini-diffusion that models use.
 *
 * <p>Start with {@link org.minidiffusion.core.api.Tensor} and {@link org.minidiffusion.core.api.Backends}.
 */
package org.minidiffusion.core.api;
