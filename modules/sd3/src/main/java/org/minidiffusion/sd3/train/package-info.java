/**
 * Training the text-to-image model: the MMDiT with rectified flow matching in the autoencoder's
 * latent space (Esser et al. 2024, section 2), T5's encoder jointly with it, CLIP's text encoder
 * frozen, and captions replaced by the empty prompt with a small probability so that one model
 * serves both branches of classifier-free guidance (Ho and Salimans 2022).
 */
package org.minidiffusion.sd3.train;
