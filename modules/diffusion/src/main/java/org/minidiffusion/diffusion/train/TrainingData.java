package org.minidiffusion.diffusion.train;

import org.minidiffusion.core.api.Tensor;

/** Labelled images to train on, scaled to {@code [-1, 1]}. */
public interface TrainingData {

    /**
     * A batch of images and their classes.
     *
     * @param images {@code (B, C, H, W)} in {@code [-1, 1]}
     * @param labels one class per image
     */
    record Batch(Tensor images, int[] labels) {
    }

    /**
     * Returns the number of examples.
     *
     * @return the size
     */
    int size();

    /**
     * Returns the examples at the given indices.
     *
     * @param indices positions in {@code [0, size())}
     * @return the batch
     */
    Batch batch(int[] indices);
}
