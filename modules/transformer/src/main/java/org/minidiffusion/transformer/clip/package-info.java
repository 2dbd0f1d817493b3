/**
 * CLIP's text encoder (Radford et al. 2021, section 2.4), as Hugging Face's {@code CLIPTextModel}
 * and {@code CLIPTextModelWithProjection}: {@link org.minidiffusion.transformer.clip.ClipTextModel},
 * built from a {@link org.minidiffusion.transformer.clip.ClipTextConfig}.
 */
package org.minidiffusion.transformer.clip;
