package org.minidiffusion.demos;

import java.util.Objects;
import org.minidiffusion.core.api.Tensor;
import org.minidiffusion.io.FashionMnist;
import org.minidiffusion.transformer.clip.ImageTextPairs;

/**
 * The first {@code size} images of a Fashion-MNIST split with their tokenized captions, as the
 * {@link ImageTextPairs} that {@code train-clip} trains on (the rest of the split held out) and
 * measures retrieval on (the whole split).
 */
final class CaptionedImages implements ImageTextPairs {
    private final FashionMnist images;
    private final int[][] ids;
    private final int size;

    /**
     * Pairs images {@code 0..size-1} with their captions.
     *
     * @param images the split
     * @param ids    the token ids of every image's caption, in image order
     * @param size   how many pairs, from the first
     */
    CaptionedImages(FashionMnist images, int[][] ids, int size) {
        this.images = images;
        this.ids = ids;
        this.size = Objects.checkIndex(size - 1, Math.min(images.size(), ids.length)) + 1;
    }

    @Override
    public int size() {
        return size;
    }

    @Override
    public Tensor images(int[] indices) {
        for (int i : indices) {
            Objects.checkIndex(i, size);
        }
        return images.batch(indices).images(); // (B, 1, 28, 28) in [-1, 1]
    }

    /** Returns the ids of every caption of the split, held-out ones included. */
    int[][] allIds() {
        return ids;
    }

    @Override
    public int[] tokenIds(int index) {
        return ids[Objects.checkIndex(index, size)];
    }
}
