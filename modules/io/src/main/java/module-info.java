/**
 * Files in and out of mini-diffusion: safetensors checkpoints, IDX (MNIST) datasets, PNG images
 * and charts such as loss curves, drawn by the module's own code (see {@link org.minidiffusion.io.chart}).
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
    exports org.minidiffusion.io.chart;
}
