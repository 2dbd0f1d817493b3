/**
 * Diffusion transformers over image patches.
 *
 * <ul>
 *   <li>DiT (Peebles and Xie 2023): {@link org.minidiffusion.dit.DiT}, its
 *       {@link org.minidiffusion.dit.DiTBlock} with adaLN-Zero (shift, scale and gate regressed from
 *       the conditioning, modulation weights zero-initialised so a fresh block is the identity) and
 *       {@link org.minidiffusion.dit.DiTFinalLayer}; parameter names are those of
 *       facebookresearch/DiT's {@code models.py} ({@code blocks.0.adaLN_modulation.1.weight}).</li>
 *   <li>MMDiT (Esser et al. 2024, Stable Diffusion 3): {@link org.minidiffusion.dit.SD3Transformer2DModel},
 *       built from diffusers' {@code config.json} by {@link org.minidiffusion.dit.SD3Transformer2DModelConfig},
 *       whose {@link org.minidiffusion.dit.JointTransformerBlock}s keep separate weights for the
 *       image and text streams and run one joint attention over both. Parameter names are those of
 *       diffusers' {@code SD3Transformer2DModel} state dict ({@code transformer_blocks.0.attn.to_q.weight},
 *       {@code transformer_blocks.0.attn.add_q_proj.weight}, {@code time_text_embed.timestep_embedder.linear_1.weight},
 *       ...), so {@code model.loadStateDict(tensors)} accepts a diffusers checkpoint as it is.</li>
 * </ul>
 *
 * <p>Shared pieces: {@link org.minidiffusion.dit.PatchEmbed} (patchify as a p×p stride-p convolution,
 * with a fixed 2-D sine-cosine position table) and {@link org.minidiffusion.dit.PatchEmbed#unpatchify},
 * the sinusoidal {@link org.minidiffusion.dit.Timesteps} and the two-layer
 * {@link org.minidiffusion.dit.TimestepEmbedding}.
 */
package org.minidiffusion.dit;
