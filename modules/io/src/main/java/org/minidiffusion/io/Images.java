package org.minidiffusion.io;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import org.apache.commons.imaging.ImagingException;
import org.apache.commons.imaging.formats.png.PngImageParser;
import org.apache.commons.imaging.formats.png.PngImagingParameters;
import org.minidiffusion.core.api.Shape;
import org.minidiffusion.core.api.ShapeException;
import org.minidiffusion.core.api.Tensor;

/**
 * Converts between image tensors and 8-bit PNG files, and tiles batches into grids.
 *
 * <p>Image tensors are {@code (C, H, W)} with {@code C = 1} (grey) or {@code C = 3} (RGB);
 * {@code (H, W)} is accepted as grey. A value {@code v} in the range {@code [low, high]}
 * (by default {@code [-1, 1]}, the range diffusion models work in) maps to the 8-bit level
 * {@code round((v - low) / (high - low) * 255)}, clamped to {@code [0, 255]}, with NaN as 0;
 * reading maps level {@code k} back to {@code low + (high - low) * k / 255}, so values on that
 * grid survive a round trip exactly. PNG encoding is done by Apache Commons Imaging, and files
 * are written atomically.
 *
 * <p><b>Reading is bounded.</b> A PNG header can declare up to 2^31-1 pixels per side in a file of
 * 57 bytes, so {@link #readPng} refuses an image larger than its {@link Limits} (by default
 * {@link Limits#DEFAULT}: 16,384 pixels per side and 2^24 = 16,777,216 pixels) before it
 * allocates anything for the pixels; it checks every chunk's CRC, inflates no more data than the
 * header implies, and reports every malformed file as a {@link FileFormatException} naming the
 * file. Other bit depths and colour types are read too: 16-bit samples map
 * {@code 65535} to {@code high}, 1-, 2- and 4-bit grey map their largest level to {@code high},
 * palette images become RGB. Gamma and colour profiles are not applied (samples are read as
 * stored, as Pillow does).
 */
public final class Images {
    /**
     * The largest image {@link #readPng(Path, float, float, Limits)} accepts.
     *
     * <p>The default admits a 4096 x 4096 image: its RGB tensor takes 192 MB of floats (built
     * once by the reader, then copied by the backend), and the compressed data is inflated into
     * at most 128 MB (a 16-bit RGBA image). Raise it for larger images and heaps.
     *
     * @param maxSide   the largest width or height in pixels, at least 1
     * @param maxPixels the largest width times height, at least 1
     */
    public record Limits(int maxSide, long maxPixels) {
        /** 16,384 pixels per side and 2^24 (16,777,216) pixels, such as 4096 x 4096. */
        public static final Limits DEFAULT = new Limits(16_384, 1L << 24);

        /**
         * Checks the limits.
         *
         * @param maxSide   the largest width or height
         * @param maxPixels the largest pixel count
         * @throws IllegalArgumentException if either is below 1
         */
        public Limits {
            if (maxSide < 1 || maxPixels < 1) {
                throw new IllegalArgumentException("Images.Limits: maxSide and maxPixels must be at least 1, got "
                        + maxSide + " and " + maxPixels);
            }
        }
    }

    private Images() {
    }

    /**
     * Writes an image tensor with values in {@code [-1, 1]} as a PNG file.
     *
     * @param file  the file to create or replace
     * @param image {@code (H, W)}, {@code (1, H, W)} or {@code (3, H, W)}
     * @throws ShapeException if the shape is none of those
     * @throws IOException    naming the file if writing fails; the old file is then unchanged
     */
    public static void writePng(Path file, Tensor image) throws IOException {
        writePng(file, image, -1f, 1f);
    }

    /**
     * Writes an image tensor with values in {@code [low, high]} as a PNG file, clamping outliers.
     *
     * @param file  the file to create or replace
     * @param image {@code (H, W)}, {@code (1, H, W)} or {@code (3, H, W)}
     * @param low   the value written as 0 (black)
     * @param high  the value written as 255 (white), greater than {@code low}
     * @throws ShapeException if the shape is none of those
     * @throws IOException    naming the file if writing fails; the old file is then unchanged
     */
    public static void writePng(Path file, Tensor image, float low, float high) throws IOException {
        checkRange(low, high);
        int[] chw = chw("writePng", image.shape());
        float[] values = image.toArray();
        BufferedImage buffered = new BufferedImage(chw[2], chw[1], BufferedImage.TYPE_INT_RGB);
        int plane = chw[1] * chw[2];
        for (int i = 0; i < plane; i++) {
            int r = level(values[i], low, high);
            int g = chw[0] == 3 ? level(values[plane + i], low, high) : r;
            int b = chw[0] == 3 ? level(values[2 * plane + i], low, high) : r;
            buffered.setRGB(i % chw[2], i / chw[2], (r << 16) | (g << 8) | b);
        }
        AtomicFiles.write(file, encodePng(file, buffered, chw[0] == 3));
    }

    /**
     * Reads a PNG file as an image tensor with values in {@code [-1, 1]}.
     *
     * @param file the PNG file
     * @return {@code (1, H, W)} for a grey image, else {@code (3, H, W)}; alpha is dropped
     * @throws FileFormatException naming the file if it is not a readable PNG or exceeds
     *                             {@link Limits#DEFAULT}
     * @throws IOException         if reading fails
     */
    public static Tensor readPng(Path file) throws IOException {
        return readPng(file, -1f, 1f, Limits.DEFAULT);
    }

    /**
     * Reads a PNG file as an image tensor with values in {@code [low, high]}.
     *
     * @param file the PNG file
     * @param low  the value level 0 maps to
     * @param high the value level 255 maps to, greater than {@code low}
     * @return {@code (1, H, W)} for a grey image, else {@code (3, H, W)}, on the current backend
     * @throws FileFormatException naming the file if it is not a readable PNG or exceeds
     *                             {@link Limits#DEFAULT}
     * @throws IOException         if reading fails
     */
    public static Tensor readPng(Path file, float low, float high) throws IOException {
        return readPng(file, low, high, Limits.DEFAULT);
    }

    /**
     * Reads a PNG file as an image tensor with values in {@code [low, high]}, up to given limits.
     *
     * @param file   the PNG file
     * @param low    the value level 0 maps to
     * @param high   the value the largest level maps to, greater than {@code low}
     * @param limits the largest image to accept
     * @return {@code (1, H, W)} for a grey image (with or without alpha), else {@code (3, H, W)},
     *         on the current backend
     * @throws FileFormatException naming the file and the problem if the file is not a readable
     *                             PNG, a chunk's CRC is wrong, or the image exceeds {@code limits}
     * @throws IOException         if reading fails
     */
    public static Tensor readPng(Path file, float low, float high, Limits limits) throws IOException {
        checkRange(low, high);
        PngDecoder.Image image = PngDecoder.decode(file, limits, low, high);
        return Tensor.of(image.values(), image.channels(), image.height(), image.width());
    }

    /**
     * Tiles a batch of images into one image, row by row, like torchvision's {@code make_grid}.
     *
     * <p>Image {@code i} goes to row {@code i / cols}, column {@code i % cols}, where
     * {@code cols = min(columns, N)}; {@code padding} pixels of {@code padValue} separate the
     * images and surround the grid, and also fill the unused cells of the last row.
     *
     * @param batch    the images, {@code (N, C, H, W)} with {@code N >= 1}
     * @param columns  the maximum number of images per row, at least 1
     * @param padding  the gap in pixels, at least 0
     * @param padValue the value of gaps and unused cells
     * @return {@code (C, rows * (H + padding) + padding, cols * (W + padding) + padding)}, on the
     *         batch's backend
     * @throws ShapeException           naming the op and shape if the batch is not a non-empty rank-4 tensor
     * @throws IllegalArgumentException if {@code columns < 1} or {@code padding < 0}
     */
    public static Tensor grid(Tensor batch, int columns, int padding, float padValue) {
        Shape s = batch.shape();
        if (s.rank() != 4 || s.size(0) == 0) {
            throw new ShapeException("grid", "expected a non-empty batch of shape (N, C, H, W)", s);
        }
        if (columns < 1 || padding < 0) {
            throw new IllegalArgumentException("grid: need columns >= 1 and padding >= 0, got columns "
                    + columns + " and padding " + padding);
        }
        int n = s.size(0);
        int c = s.size(1);
        int h = s.size(2);
        int w = s.size(3);
        int cols = Math.min(columns, n);
        int rows = (n + cols - 1) / cols;
        Shape out = Shape.of(c, rows * (h + padding) + padding, cols * (w + padding) + padding);
        int outH = out.size(1);
        int outW = out.size(2);
        float[] in = batch.toArray();
        float[] result = new float[out.numel()];
        Arrays.fill(result, padValue);
        for (int i = 0; i < n; i++) {
            int top = padding + (i / cols) * (h + padding);
            int left = padding + (i % cols) * (w + padding);
            for (int ch = 0; ch < c; ch++) {
                for (int y = 0; y < h; y++) {
                    System.arraycopy(in, ((i * c + ch) * h + y) * w, result, (ch * outH + top + y) * outW + left, w);
                }
            }
        }
        return batch.backend().of(result, out.toArray());
    }

    /**
     * Encodes an image as PNG bytes.
     *
     * @param file      the destination, for error messages
     * @param image     the image
     * @param trueColor whether to force RGB, even if every pixel is grey
     * @return the PNG bytes
     * @throws IOException naming the file if encoding fails
     */
    static byte[] encodePng(Path file, BufferedImage image, boolean trueColor) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            new PngImageParser().writeImage(image, out, new PngImagingParameters().setForceTrueColor(trueColor));
        } catch (ImagingException e) {
            throw new IOException(file + ": cannot encode PNG: " + e.getMessage(), e);
        }
        return out.toByteArray();
    }

    private static int[] chw(String op, Shape s) {
        boolean ok = s.rank() == 2 || (s.rank() == 3 && (s.size(0) == 1 || s.size(0) == 3));
        if (!ok || s.numel() == 0) {
            throw new ShapeException(op, "expected a non-empty image of shape (H, W), (1, H, W) or (3, H, W)", s);
        }
        return s.rank() == 2 ? new int[] {1, s.size(0), s.size(1)} : s.toArray();
    }

    private static int level(float v, float low, float high) {
        return Math.max(0, Math.min(255, Math.round((v - low) / (high - low) * 255f)));
    }

    private static void checkRange(float low, float high) {
        if (!(low < high) || !Float.isFinite(low) || !Float.isFinite(high)) {
            throw new IllegalArgumentException("image value range must be finite with low < high, got ["
                    + low + ", " + high + "]");
        }
    }
}
