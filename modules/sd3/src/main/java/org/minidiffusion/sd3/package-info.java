/**
 * Text-to-image inference as Stable Diffusion 3 (Esser et al. 2024; diffusers'
 * {@code StableDiffusion3Pipeline}).
 *
 * <ul>
 *   <li>{@link org.minidiffusion.sd3.PromptEncoder} turns prompts into the MMDiT's conditioning
 *       ({@link org.minidiffusion.sd3.PromptEmbeddings}): CLIP's penultimate hidden state,
 *       zero-padded on the feature axis to the joint attention width and followed on the sequence
 *       axis by T5's last hidden state; CLIP's projected pooled output is the pooled
 *       conditioning.</li>
 *   <li>{@link org.minidiffusion.sd3.TextToImagePipeline} samples latents with flow matching and
 *       classifier-free guidance (Ho and Salimans 2022), decodes them with the autoencoder, and
 *       saves and loads the whole model in diffusers' directory layout.</li>
 * </ul>
 */
package org.minidiffusion.sd3;
