/**
 * Training a diffusion model: the loss of DDPM (Ho et al. 2020, Algorithm 1), AdamW with warm-up
 * and cosine decay, gradient clipping, EMA weights, class dropout for classifier-free guidance,
 * and checkpoints that resume exactly.
 *
 * <p>A checkpoint is never written with a NaN or infinite value in the weights, the optimiser
 * state or the EMA weights, and a resumed one is checked field by field before it is used, so a
 * corrupted file can neither resume nor poison the files saved after it. A {@link
 * org.minidiffusion.diffusion.train.Checkpoint} is tensors and metadata in no file format: the
 * caller writes and reads it (the demos as safetensors, through {@code io}).
 */
package org.minidiffusion.diffusion.train;
