/**
 * Layers: {@link org.minidiffusion.nn.Linear}, {@link org.minidiffusion.nn.Conv2d}, the normalisations,
 * {@link org.minidiffusion.nn.Embedding}, {@link org.minidiffusion.nn.Dropout},
 * {@link org.minidiffusion.nn.MultiHeadAttention} and its parts ({@link org.minidiffusion.nn.Attention}: masked
 * scaled dot-product attention; {@link org.minidiffusion.nn.RotaryEmbedding}: RoPE), with PyTorch's default
 * initialisations.
 *
 * <p>Parameter names and shapes follow PyTorch ({@code weight} of a {@code Linear} is
 * {@code (out, in)}), so a state dict maps one-to-one onto a PyTorch model of the same structure.
 */
package org.minidiffusion.nn;
