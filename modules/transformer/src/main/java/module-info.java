/**
 * The text encoders of latent diffusion: CLIP's text transformer (Radford et al. 2021) and T5's
 * encoder (Raffel et al. 2020, v1.1), with the module trees and parameter names of Hugging Face's
 * {@code CLIPTextModel} and {@code T5EncoderModel}, built from their {@code config.json}, so their
 * safetensors checkpoints load by name.
 */
module org.minidiffusion.transformer {
    requires transitive org.minidiffusion.nn;
    requires org.minidiffusion.io;

    exports org.minidiffusion.transformer.clip;
    exports org.minidiffusion.transformer.t5;
}
