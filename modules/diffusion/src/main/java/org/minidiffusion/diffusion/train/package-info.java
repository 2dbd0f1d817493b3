/**
 * Training a diffusion model: the loss of DDPM (Ho et al. 2020, Algorithm 1), AdamW with warm-up
 * and cosine decay, gradient clipping, EMA weights, class dropout for classifier-free guidance,
 * and checkpoints that resume exactly.
 */
package org.minidiffusion.diffusion.train;
