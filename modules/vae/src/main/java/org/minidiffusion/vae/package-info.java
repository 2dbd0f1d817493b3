/**
 * The KL autoencoder of latent diffusion (Rombach et al. 2022, section 3 and appendix G):
 * {@link org.minidiffusion.vae.AutoencoderKL} encodes an image to a
 * {@link org.minidiffusion.vae.DiagonalGaussianDistribution} over latents and decodes latents back
 * to images; {@link org.minidiffusion.vae.AutoencoderKLConfig} reads diffusers' {@code config.json}.
 *
 * <p>Parameter names are those of diffusers' {@code AutoencoderKL} state dict
 * ({@code encoder.down_blocks.0.resnets.0.norm1.weight},
 * {@code decoder.mid_block.attentions.0.to_q.weight}, {@code quant_conv.weight}, ...), so
 * {@code vae.loadStateDict(tensors)} accepts the tensors of a diffusers
 * {@code diffusion_pytorch_model.safetensors} as they are.
 */
package org.minidiffusion.vae;
