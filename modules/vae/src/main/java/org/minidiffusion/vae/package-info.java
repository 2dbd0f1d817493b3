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
 *
 * <p>Training: {@link org.minidiffusion.vae.VaeObjective} is the loss (squared reconstruction error
 * plus {@code beta} times the KL term, the negative ELBO of Kingma and Welling 2014);
 * {@link org.minidiffusion.vae.AutoencoderKLTrainer} runs AdamW on it with checkpoints that resume
 * exactly; {@link org.minidiffusion.vae.LatentStatistics} measures the {@code scaling_factor} and
 * {@code shift_factor} that give the diffusion model unit-variance latents, and
 * {@link org.minidiffusion.vae.Psnr} the reconstruction quality.
 */
package org.minidiffusion.vae;
