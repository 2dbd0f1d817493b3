package org.minidiffusion.vae;

import org.minidiffusion.core.api.AbstractLayer;
import org.minidiffusion.core.api.Rng;
import org.minidiffusion.core.api.Tensor;
import org.minidiffusion.nn.LayerList;

/**
 * One level of the decoder, diffusers' {@code UpDecoderBlock2D}: {@code layers} residual blocks
 * (the decoder passes {@code layers_per_block + 1}; the first changes the channel count), then an
 * {@link Upsample2D} unless it is the last level.
 */
final class UpDecoderBlock2D extends AbstractLayer {
    private final LayerList<ResnetBlock2D> resnets;
    private final LayerList<Upsample2D> upsamplers; // null at the last level

    UpDecoderBlock2D(int in, int out, int layers, boolean addUpsample, int groups, float eps, Rng rng) {
        this.resnets = child("resnets", new LayerList<>());
        for (int i = 0; i < layers; i++) {
            resnets.add(new ResnetBlock2D(i == 0 ? in : out, out, groups, eps, rng));
        }
        this.upsamplers = addUpsample
                ? child("upsamplers", new LayerList<Upsample2D>().add(new Upsample2D(out, rng)))
                : null;
    }

    @Override
    public Tensor forward(Tensor x) { // (N, in, H, W) -> (N, out, 2H, 2W), or (N, out, H, W) at the last level
        Tensor h = resnets.forward(x);
        return upsamplers == null ? h : upsamplers.forward(h);
    }
}
