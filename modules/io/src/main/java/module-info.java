/**
 * Files in and out of mini-diffusion: safetensors checkpoints, IDX (MNIST) datasets, PNG images
 * and loss-curve plots.
 *
 * <p>PNG encoding and decoding is done by Apache Commons Imaging; dataset labels are Eclipse
 * Collections primitive lists. See {@link org.minidiffusion.io} for the formats.
 */
module org.minidiffusion.io {
    requires transitive org.minidiffusion.core;
    requires transitive org.eclipse.collections.api;
    requires org.eclipse.collections.impl;
    requires org.apache.commons.imaging;
    requires java.desktop;

    exports org.minidiffusion.io;
}
