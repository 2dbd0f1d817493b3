package org.minidiffusion.demos;

import org.minidiffusion.core.api.Tensor;

/** Something that labels images with a class, such as {@link FashionClassifier}. */
interface ImageClassifier {
    /**
     * Returns the most likely class of each image.
     *
     * @param images {@code (N, C, H, W)} in {@code [-1, 1]}
     * @return N labels
     */
    int[] classify(Tensor images);
}
