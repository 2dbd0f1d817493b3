/**
 * Diffusion transformers: DiT (Peebles and Xie 2023) with adaLN-Zero, and the multimodal MMDiT of
 * Stable Diffusion 3 (Esser et al. 2024) with the module tree and parameter names of diffusers'
 * {@code SD3Transformer2DModel}, so its safetensors checkpoints load by name.
 */
module org.minidiffusion.dit {
    requires transitive org.minidiffusion.nn;

    exports org.minidiffusion.dit;
}
