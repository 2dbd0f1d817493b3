package org.minidiffusion.vae;

import org.minidiffusion.core.api.AbstractLayer;
import org.minidiffusion.core.api.Rng;
import org.minidiffusion.core.api.Tensor;
import org.minidiffusion.nn.LayerList;

/**
 * One level of the encoder, diffusers' {@code DownEncoderBlock2D}: {@code layers} residual blocks
 * (the first changes the channel count), then a {@link Downsample2D} unless it is the last level.
 */
final class DownEncoderBlock2D extends AbstractLayer {
    private final LayerList<ResnetBlock2D> resnets;
    private final LayerList<Downsample2D> downsamplers; // null at the last level

    DownEncoderBlock2D(int in, int out, int layers, boolean addDownsample, int groups, float eps, Rng rng) {
        this.resnets = child("resnets", new LayerList<>());
        for (int i = 0; i < layers; i++) {
            resnets.add(new ResnetBlock2D(i == 0 ? in : out, out, groups, eps, rng));
        }
        this.downsamplers = addDownsample
                ? child("downsamplers", new LayerList<Downsample2D>().add(new Downsample2D(out, rng)))
                : null;
    }

    @Override
    public Tensor forward(Tensor x) { // (N, in, H, W) -> (N, out, H / 2, W / 2), or (N, out, H, W) at the last level
        Tensor h = resnets.forward(x);
        return downsamplers == null ? h : downsamplers.forward(h);
    }
}
