package org.minidiffusion.diffusion.train;

import java.util.Set;
import org.minidiffusion.core.api.Rng;
import org.minidiffusion.core.api.Tensor;
import org.minidiffusion.diffusion.BetaSchedule;
import org.minidiffusion.diffusion.PredictionType;
import org.minidiffusion.diffusion.unet.UNet;
import org.minidiffusion.diffusion.unet.UNetConfig;

/** A U-Net and a data set small enough for unit tests. */
final class TinySetup {
    static final UNetConfig CONFIG = new UNetConfig(8, 1, 1, 8, new int[] {1, 2}, 1, Set.of(4), 4, 2, 3, 0f);

    private TinySetup() {
    }

    /** As {@link #CONFIG}, with dropout in every residual block. */
    static final UNetConfig WITH_DROPOUT = new UNetConfig(8, 1, 1, 8, new int[] {1, 2}, 1, Set.of(4), 4, 2, 3, 0.2f);

    static UNet unet(long seed) {
        return new UNet(CONFIG, new Rng(seed));
    }

    static UNet unetWithDropout(long seed) {
        return new UNet(WITH_DROPOUT, new Rng(seed));
    }

    static TrainConfig config(int steps) {
        return new TrainConfig(steps, 4, 3e-3f, 2, 0.01f, 1f, 0.9f, 0.25f, 11L,
                PredictionType.EPSILON, BetaSchedule.COSINE, 100);
    }

    /** Sixteen 8x8 images of three classes: a bright square whose position is the class. */
    static TrainingData data() {
        return new TrainingData() {
            @Override
            public int size() {
                return 16;
            }

            @Override
            public Batch batch(int[] indices) {
                float[] pixels = new float[indices.length * 64];
                int[] labels = new int[indices.length];
                for (int b = 0; b < indices.length; b++) {
                    labels[b] = indices[b] % 3;
                    for (int i = 0; i < 64; i++) {
                        int y = i / 8;
                        int x = i % 8;
                        boolean on = y >= 2 && y < 6 && x >= labels[b] * 2 && x < labels[b] * 2 + 3;
                        pixels[b * 64 + i] = on ? 1f : -1f;
                    }
                }
                return new Batch(Tensor.of(pixels, indices.length, 1, 8, 8), labels);
            }
        };
    }
}
