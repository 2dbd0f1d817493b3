
/**
 * Diffusion models: noise schedules, samplers (DDPM, DDIM), the U-Net and training.
 *
 * <p>Training checkpoints are safetensors files written and read through {@code io}, which this
 * module requires but does not pass on: a user of the samplers gets no image or dataset library.
 * The trainer's epoch order is an Eclipse Collections primitive list.
 */
module org.minidiffusion.diffusion {
    requires transitive org.minidiffusion.nn;
    requires org.minidiffusion.io;
    requires org.eclipse.collections.api;
    requires org.eclipse.collections.impl;

    exports org.minidiffusion.diffusion;
    exports org.minidiffusion.diffusion.flow;
    exports org.minidiffusion.diffusion.unet;
    exports org.minidiffusion.diffusion.train;
}
