/**
 * CLIP's text encoder (Radford et al. 2021, section 2.4), as Hugging Face's {@code CLIPTextModel}
 * and {@code CLIPTextModelWithProjection}: {@link org.minidiffusion.transformer.clip.ClipTextModel},
 * built from a {@link org.minidiffusion.transformer.clip.ClipTextConfig}; and its contrastive
 * training against a small image encoder ({@link org.minidiffusion.transformer.clip.ClipImageEncoder})
 * with CLIP's symmetric loss ({@link org.minidiffusion.transformer.clip.ClipLoss},
 * {@link org.minidiffusion.transformer.clip.ClipModel}), by
 * {@link org.minidiffusion.transformer.clip.ClipTrainer} on
 * {@link org.minidiffusion.transformer.clip.ImageTextPairs}, measured by
 * {@link org.minidiffusion.transformer.clip.ClipRetrieval}.
 */
package org.minidiffusion.transformer.clip;
