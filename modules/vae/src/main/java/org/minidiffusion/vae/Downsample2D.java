package org.minidiffusion.vae;

import org.minidiffusion.core.api.AbstractLayer;
import org.minidiffusion.core.api.Rng;
import org.minidiffusion.core.api.Tensor;
import org.minidiffusion.nn.Conv2d;

/**
 * Halves the resolution as diffusers' {@code Downsample2D} does in the autoencoder: zero padding of
 * one row at the bottom and one column at the right only, then a 3x3 convolution of stride 2, so an
 * even {@code H} becomes exactly {@code H / 2}.
 */
final class Downsample2D extends AbstractLayer {
    private static final int[] PAD_RIGHT_BOTTOM = {0, 1, 0, 1}; // (left, right, top, bottom)

    private final Conv2d conv;

    Downsample2D(int channels, Rng rng) {
        this.conv = child("conv", new Conv2d(channels, channels, 3, 2, 0, rng));
    }

    @Override
    public Tensor forward(Tensor x) { // (N, C, H, W) -> (N, C, H / 2, W / 2)
        return conv.forward(x.pad(PAD_RIGHT_BOTTOM, 0f));
    }
}
