package org.minidiffusion.transformer.clip;

import org.minidiffusion.core.api.Tensor;

/**
 * Images with one tokenized caption each, the data of {@link ClipTrainer}: pair {@code i} is image
 * {@code i} and caption {@code i}. Two pairs whose token ids are equal have the same caption.
 */
public interface ImageTextPairs {
    /**
     * Returns the number of pairs.
     *
     * @return the size, at least 1
     */
    int size();

    /**
     * Returns images in the given order.
     *
     * @param indices pair indices in {@code [0, size())}, repeats allowed
     * @return {@code (B, C, H, W)} in {@code [-1, 1]}
     */
    Tensor images(int[] indices);

    /**
     * Returns the token ids of a caption, framed by the start and end tokens and padded to the text
     * encoder's context length.
     *
     * @param index a pair index in {@code [0, size())}
     * @return the ids; the caller does not modify them
     */
    int[] tokenIds(int index);
}
