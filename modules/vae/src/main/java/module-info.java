/**
 * The KL-regularised autoencoder of latent diffusion (Rombach et al. 2022), with the module tree
 * and parameter names of diffusers' {@code AutoencoderKL}, so its safetensors checkpoints load by
 * name.
 */
module org.minidiffusion.vae {
    requires transitive org.minidiffusion.nn;

    exports org.minidiffusion.vae;
}
