/**
 * Training the text-to-image model: the MMDiT with rectified flow matching in the autoencoder's
 * latent space (Esser et al. 2024, section 2; Lipman et al. 2023), T5's encoder jointly with it,
 * CLIP's text encoder frozen, and captions replaced by the empty prompt with a small probability so
 * that one model serves both branches of classifier-free guidance (Ho and Salimans 2022).
 *
 * <ul>
 *   <li>{@link org.minidiffusion.sd3.train.TextToImageTrainConfig}: the settings and both
 *       architectures, to and from checkpoint metadata;</li>
 *   <li>{@link org.minidiffusion.sd3.train.LatentDataset}: the training images encoded once by the
 *       frozen autoencoder (posterior mean and standard deviation, class, tone), drawn as scaled
 *       posterior samples with a fresh training caption each;</li>
 *   <li>{@link org.minidiffusion.sd3.train.PromptDropout}: the empty prompt in place of a caption;</li>
 *   <li>{@link org.minidiffusion.sd3.train.TextToImageTrainer}: one AdamW step per batch (Loshchilov
 *       and Hutter 2019) with gradient clipping, warm-up and cosine decay and an EMA of the trained
 *       weights, and a state that resumes exactly.</li>
 * </ul>
 */
package org.minidiffusion.sd3.train;
