package org.minidiffusion.demos;

import java.util.Arrays;
import org.minidiffusion.core.api.Rng;
import org.minidiffusion.core.api.Tensor;
import org.minidiffusion.diffusion.SampleRequest;
import org.minidiffusion.diffusion.Sampler;
import org.minidiffusion.diffusion.unet.UNet;
import org.minidiffusion.io.Images;

/**
 * Class-conditional sampling shared by {@code train} (its sample grids), {@code generate} and
 * {@code evaluate}: labels in class order, chunked sampling, and grids with one row per class.
 */
final class Sampling {
    /** The images sampled together by default, which bounds memory. */
    static final int DEFAULT_CHUNK = 50;
    /** The gap between grid cells, in pixels. */
    static final int GRID_PADDING = 2;
    /** The value of the gaps and empty cells of a grid: mid-grey, in the images' {@code [-1, 1]} range. */
    static final float GRID_PAD_VALUE = 0f;

    private Sampling() {
    }

    /** Receives the progress of {@link #generate}. */
    @FunctionalInterface
    interface StepListener {
        /**
         * Called after each sampling step of each chunk.
         *
         * @param done  the steps done so far over all chunks
         * @param total the steps over all chunks
         */
        void onStep(long done, long total);
    }

    /**
     * Returns {@code count} labels in class order, spread as evenly as possible: each class gets
     * {@code count / classes} images and the first {@code count % classes} classes one more.
     *
     * @param count   the number of images
     * @param classes the number of classes, at least 1
     * @return the labels, non-decreasing
     */
    static int[] labelsInClassOrder(int count, int classes) {
        int[] labels = new int[count];
        int i = 0;
        for (int c = 0; c < classes; c++) {
            int n = count / classes + (c < count % classes ? 1 : 0);
            for (int j = 0; j < n; j++) {
                labels[i++] = c;
            }
        }
        return labels;
    }

    /**
     * Samples one image per label, {@code chunk} images at a time, with classifier-free guidance.
     *
     * <p>The result depends only on the model, the settings, the seed and the chunk size: one
     * generator, seeded once, supplies every chunk's starting noise and per-step noise in turn.
     *
     * @param unet     the model, class-conditional unless {@code labels} is null
     * @param sampler  the sampler
     * @param steps    the sampling steps per chunk
     * @param labels   one class per image; for an unconditional model, only their count matters
     * @param guidance the guidance scale; 1 for none (always none for an unconditional model)
     * @param seed     the seed
     * @param chunk    the most images sampled together
     * @param listener told after every step
     * @return the images, {@code (N, C, H, W)}, roughly in {@code [-1, 1]}
     */
    static Tensor generate(UNet unet, Sampler sampler, int steps, int[] labels, float guidance, long seed, int chunk,
                           StepListener listener) {
        int n = labels.length;
        int channels = unet.config().inChannels();
        int size = unet.config().imageSize();
        int classes = unet.config().numClasses();
        int nullClass = unet.config().nullClass();
        int chunks = (n + chunk - 1) / chunk;
        long total = (long) chunks * steps;
        Rng rng = new Rng(seed);
        Tensor[] parts = new Tensor[chunks];
        for (int k = 0; k < chunks; k++) {
            int from = k * chunk;
            int b = Math.min(chunk, n - from);
            SampleRequest request = SampleRequest.of(steps, b, channels, size, size);
            if (classes > 0) {
                request = request.withClassLabels(Arrays.copyOfRange(labels, from, from + b));
                if (guidance != 1f) {
                    request = request.withGuidance(guidance, nullClass);
                }
            }
            long before = (long) k * steps;
            parts[k] = sampler.sample(unet, request.withListener((index, count, t, tPrev, sample) ->
                    listener.onStep(before + index + 1, total)), rng);
        }
        return chunks == 1 ? parts[0] : Tensor.concat(0, parts);
    }

    /**
     * Tiles images into a grid with one row per class, in class order; rows with fewer images than
     * the widest row end in empty (grey) cells.
     *
     * @param images  {@code (N, C, H, W)}
     * @param labels  the class of each image, non-decreasing as {@link #labelsInClassOrder} gives
     * @param classes the number of classes; 0 for an unconditional model, whose images fill a
     *                square grid
     * @return the grid, {@code (C, rows * (H + 2) + 2, columns * (W + 2) + 2)}, where rows is the
     *         number of classes present and columns the most images of one class
     */
    static Tensor classGrid(Tensor images, int[] labels, int classes) {
        if (classes == 0) {
            int n = images.size(0);
            return Images.grid(images, (int) Math.ceil(Math.sqrt(n)), GRID_PADDING, GRID_PAD_VALUE);
        }
        int[] perClass = new int[classes];
        for (int label : labels) {
            perClass[label]++;
        }
        int columns = Arrays.stream(perClass).max().orElse(1);
        int rows = (int) Arrays.stream(perClass).filter(c -> c > 0).count();
        int c = images.size(1);
        int h = images.size(2);
        int w = images.size(3);
        int cell = c * h * w;
        float[] in = images.toArray();
        float[] cells = new float[rows * columns * cell];
        Arrays.fill(cells, GRID_PAD_VALUE);
        int row = -1;
        int column = 0;
        int previous = -1;
        for (int i = 0; i < labels.length; i++) {
            int label = labels[i];
            if (label != previous) {
                row++;
                column = 0;
                previous = label;
            }
            System.arraycopy(in, i * cell, cells, (row * columns + column) * cell, cell);
            column++;
        }
        Tensor batch = images.backend().of(cells, rows * columns, c, h, w);
        return Images.grid(batch, columns, GRID_PADDING, GRID_PAD_VALUE);
    }
}
