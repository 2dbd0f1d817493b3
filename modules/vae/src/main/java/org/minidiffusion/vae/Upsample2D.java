package org.minidiffusion.vae;

import org.minidiffusion.core.api.AbstractLayer;
import org.minidiffusion.core.api.Rng;
import org.minidiffusion.core.api.Tensor;
import org.minidiffusion.nn.Conv2d;

/** Doubles the resolution as diffusers' {@code Upsample2D}: nearest-neighbour x2, then a 3x3 convolution. */
final class Upsample2D extends AbstractLayer {
    private final Conv2d conv;

    Upsample2D(int channels, Rng rng) {
        this.conv = child("conv", new Conv2d(channels, channels, 3, 1, 1, rng));
    }

    @Override
    public Tensor forward(Tensor x) { // (N, C, H, W) -> (N, C, 2H, 2W)
        return conv.forward(x.upsampleNearest(2));
    }
}
