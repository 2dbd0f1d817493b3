/**
 * Text to image as Stable Diffusion 3 does it (Esser et al. 2024): prompts encoded by CLIP's text
 * encoder and T5's encoder, an MMDiT trained with rectified flow matching in the latent space of a
 * KL autoencoder, and classifier-free guidance (Ho and Salimans 2022); the pipeline saves and
 * loads diffusers' {@code StableDiffusion3Pipeline} directory layout.
 *
 * <p>The name ends in a digit, which javac's lint discourages (a version number there would mislead);
 * "sd3" names the model family, so the warning is suppressed.
 */
@SuppressWarnings("module")
module org.minidiffusion.sd3 {
    requires transitive org.minidiffusion.dit;
    requires transitive org.minidiffusion.transformer;
    requires transitive org.minidiffusion.vae;
    requires transitive org.minidiffusion.text;
    requires transitive org.minidiffusion.diffusion;
    requires org.minidiffusion.io;

    exports org.minidiffusion.sd3;
    exports org.minidiffusion.sd3.train;
}
