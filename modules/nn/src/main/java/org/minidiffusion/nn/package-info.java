/**
 * Layers: {@link org.minidiffusion.nn.Linear}, {@link org.minidiffusion.nn.Conv2d}, the normalisations,
 * {@link org.minidiffusion.nn.Embedding}, {@link org.minidiffusion.nn.Dropout} and
 * {@link org.minidiffusion.nn.MultiHeadAttention}, with PyTorch's default initialisations.
 *
 * <p>Parameter names and shapes follow PyTorch ({@code weight} of a {@code Linear} is
 * {@code (out, in)}), so a state dict maps one-to-one onto a PyTorch model of the same structure.
 */
package org.minidiffusion.nn;
