package org.minidiffusion.demos;

import org.minidiffusion.core.api.Tensor;
import org.minidiffusion.diffusion.train.TrainingData;
import org.minidiffusion.io.FashionMnist;

/** A Fashion-MNIST split as the {@link TrainingData} that {@code train} feeds to the trainer. */
final class FashionMnistData implements TrainingData {
    private final FashionMnist data;

    /**
     * Adapts a loaded split.
     *
     * @param data the split
     */
    FashionMnistData(FashionMnist data) {
        this.data = data;
    }

    @Override
    public int size() {
        return data.size();
    }

    @Override
    public Batch batch(int[] indices) {
        Tensor images = data.batch(indices).images(); // (B, 1, H, W), checks the indices
        int[] labels = new int[indices.length];
        for (int i = 0; i < indices.length; i++) {
            labels[i] = data.label(indices[i]);
        }
        return new Batch(images, labels);
    }
}
