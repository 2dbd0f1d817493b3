/**
 * Files in and out of mini-diffusion: safetensors checkpoints, IDX (MNIST) datasets, PNG images
 * and loss-curve plots.
 *
 * <p>PNG encoding is done by Apache Commons Imaging; PNG decoding, safetensors and IDX are read
 * by this module's own bounded readers. No third-party type appears in an exported signature.
 * See {@link org.minidiffusion.io} for the formats.
 */
module org.minidiffusion.io {
    requires transitive org.minidiffusion.core;
    requires org.apache.commons.imaging;
    requires java.desktop;

    exports org.minidiffusion.io;
}
