package org.minidiffusion.vae;

import org.minidiffusion.core.api.AbstractLayer;
import org.minidiffusion.core.api.Rng;
import org.minidiffusion.core.api.Tensor;
import org.minidiffusion.nn.Conv2d;
import org.minidiffusion.nn.GroupNorm;
import org.minidiffusion.nn.LayerList;

/**
 * The encoder E of the autoencoder, diffusers' {@code Encoder} with {@code double_z}: it maps an
 * image to {@code 2 · latent_channels} channels (the mean and the log-variance of the posterior)
 * at {@code 1 / 2^(levels - 1)} of its resolution.
 */
final class Encoder extends AbstractLayer {
    private final Conv2d convIn;
    private final LayerList<DownEncoderBlock2D> downBlocks;
    private final UNetMidBlock2D midBlock;
    private final GroupNorm convNormOut;
    private final Conv2d convOut;

    Encoder(AutoencoderKLConfig c, Rng rng) {
        int[] ch = c.blockOutChannels();
        int groups = c.normNumGroups();
        float eps = AutoencoderKLConfig.NORM_EPS;
        this.convIn = child("conv_in", new Conv2d(c.inChannels(), ch[0], 3, 1, 1, rng));
        this.downBlocks = child("down_blocks", new LayerList<>());
        for (int i = 0; i < ch.length; i++) {
            boolean last = i == ch.length - 1;
            downBlocks.add(new DownEncoderBlock2D(i == 0 ? ch[0] : ch[i - 1], ch[i], c.layersPerBlock(), !last,
                    groups, eps, rng));
        }
        int top = ch[ch.length - 1];
        this.midBlock = child("mid_block", new UNetMidBlock2D(top, groups, eps, c.midBlockAddAttention(), rng));
        this.convNormOut = child("conv_norm_out", new GroupNorm(groups, top, eps));
        this.convOut = child("conv_out", new Conv2d(top, 2 * c.latentChannels(), 3, 1, 1, rng));
    }

    @Override
    public Tensor forward(Tensor x) { // (N, in_channels, H, W) -> (N, 2 latent_channels, H / f, W / f)
        Tensor h = convIn.forward(x);
        h = downBlocks.forward(h);
        h = midBlock.forward(h);
        return convOut.forward(convNormOut.forward(h).silu());
    }
}
