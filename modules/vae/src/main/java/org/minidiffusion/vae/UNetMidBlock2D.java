package org.minidiffusion.vae;

import org.minidiffusion.core.api.AbstractLayer;
import org.minidiffusion.core.api.Rng;
import org.minidiffusion.core.api.Tensor;
import org.minidiffusion.nn.LayerList;

/**
 * The middle of the encoder and of the decoder, diffusers' {@code UNetMidBlock2D} with one layer:
 * a residual block, self-attention over the positions (unless {@code mid_block_add_attention} is
 * false), and a second residual block, all at the lowest resolution.
 */
final class UNetMidBlock2D extends AbstractLayer {
    private final LayerList<SpatialSelfAttention> attentions; // null without attention
    private final LayerList<ResnetBlock2D> resnets;

    UNetMidBlock2D(int channels, int groups, float eps, boolean addAttention, Rng rng) {
        this.attentions = addAttention
                ? child("attentions", new LayerList<SpatialSelfAttention>()
                        .add(new SpatialSelfAttention(channels, groups, eps, rng)))
                : null;
        this.resnets = child("resnets", new LayerList<ResnetBlock2D>()
                .add(new ResnetBlock2D(channels, channels, groups, eps, rng))
                .add(new ResnetBlock2D(channels, channels, groups, eps, rng)));
    }

    @Override
    public Tensor forward(Tensor x) { // (N, C, H, W) -> same
        Tensor h = resnets.get(0).forward(x);
        if (attentions != null) {
            h = attentions.get(0).forward(h);
        }
        return resnets.get(1).forward(h);
    }
}
