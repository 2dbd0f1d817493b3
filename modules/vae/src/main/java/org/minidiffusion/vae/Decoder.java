package org.minidiffusion.vae;

import org.minidiffusion.core.api.AbstractLayer;
import org.minidiffusion.core.api.Rng;
import org.minidiffusion.core.api.Tensor;
import org.minidiffusion.nn.Conv2d;
import org.minidiffusion.nn.GroupNorm;
import org.minidiffusion.nn.LayerList;

/**
 * The decoder D of the autoencoder, diffusers' {@code Decoder}: the encoder's levels in reverse,
 * each with {@code layers_per_block + 1} residual blocks, and one {@link Upsample2D} for each of
 * the encoder's {@link Downsample2D}, so a latent of {@code H / f} decodes to exactly {@code H}.
 */
final class Decoder extends AbstractLayer {
    private final Conv2d convIn;
    private final UNetMidBlock2D midBlock;
    private final LayerList<UpDecoderBlock2D> upBlocks;
    private final GroupNorm convNormOut;
    private final Conv2d convOut;

    Decoder(AutoencoderKLConfig c, Rng rng) {
        int[] ch = c.blockOutChannels();
        int groups = c.normNumGroups();
        float eps = AutoencoderKLConfig.NORM_EPS;
        int levels = ch.length;
        int top = ch[levels - 1];
        this.convIn = child("conv_in", new Conv2d(c.latentChannels(), top, 3, 1, 1, rng));
        this.midBlock = child("mid_block", new UNetMidBlock2D(top, groups, eps, c.midBlockAddAttention(), rng));
        this.upBlocks = child("up_blocks", new LayerList<>());
        int previous = top;
        for (int i = 0; i < levels; i++) {
            int out = ch[levels - 1 - i]; // up block i mirrors down block levels - 1 - i
            boolean last = i == levels - 1;
            upBlocks.add(new UpDecoderBlock2D(previous, out, c.layersPerBlock() + 1, !last, groups, eps, rng));
            previous = out;
        }
        this.convNormOut = child("conv_norm_out", new GroupNorm(groups, ch[0], eps));
        this.convOut = child("conv_out", new Conv2d(ch[0], c.outChannels(), 3, 1, 1, rng));
    }

    @Override
    public Tensor forward(Tensor z) { // (N, latent_channels, h, w) -> (N, out_channels, h f, w f)
        Tensor h = convIn.forward(z);
        h = midBlock.forward(h);
        h = upBlocks.forward(h);
        return convOut.forward(convNormOut.forward(h).silu());
    }
}
