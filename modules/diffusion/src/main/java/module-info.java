/**
 * Diffusion models: noise schedules, samplers (DDPM, DDIM), the U-Net and training.
 */
module org.minidiffusion.diffusion {
    requires transitive org.minidiffusion.nn;
    requires transitive org.minidiffusion.io;
    requires org.eclipse.collections.impl;

    exports org.minidiffusion.diffusion;
    exports org.minidiffusion.diffusion.flow;
    exports org.minidiffusion.diffusion.unet;
    exports org.minidiffusion.diffusion.train;
}
