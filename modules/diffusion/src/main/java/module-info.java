
/**
 * Diffusion models: noise schedules, samplers (DDPM, DDIM), the U-Net and training.
 *
 * <p>This module needs only {@code nn} and {@code core}: a training checkpoint is tensors and
 * metadata that the caller writes and reads in the format it likes, so a user of the samplers
 * gets no file-format, image or collections library.
 */
module org.minidiffusion.diffusion {
    requires transitive org.minidiffusion.nn;

    exports org.minidiffusion.diffusion;
    exports org.minidiffusion.diffusion.flow;
    exports org.minidiffusion.diffusion.unet;
    exports org.minidiffusion.diffusion.train;
}
