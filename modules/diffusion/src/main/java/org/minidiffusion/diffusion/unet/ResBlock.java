package org.minidiffusion.diffusion.unet;

import org.minidiffusion.core.api.Rng;
import org.minidiffusion.core.api.Tensor;
import org.minidiffusion.nn.Block;
import org.minidiffusion.nn.Conv2d;
import org.minidiffusion.nn.Dropout;
import org.minidiffusion.nn.GroupNorm;
import org.minidiffusion.nn.Linear;

/**
 * A residual block with timestep conditioning (DDPM, Ho et al. 2020, appendix B; the Wide ResNet
 * block of Zagoruyko and Komodakis 2016 with GroupNorm):
 * {@code h = conv1(silu(norm1(x))) + W silu(temb); out = skip(x) + conv2(dropout(silu(norm2(h))))}.
 * On the U-Net's way up, {@code x} is first concatenated with the skip connection along channels.
 */
final class ResBlock extends Block {
    private final GroupNorm norm1;
    private final Conv2d conv1;
    private final Linear timeProj;
    private final GroupNorm norm2;
    private final Dropout dropout;
    private final Conv2d conv2;
    private final Conv2d skip; // 1x1 when the channel count changes, else null
    private final int outChannels;

    ResBlock(int inChannels, int outChannels, int timeDim, int groups, float dropoutP, Rng rng) {
        this.outChannels = outChannels;
        this.norm1 = child("norm1", new GroupNorm(groups, inChannels, 1e-5f));
        this.conv1 = child("conv1", new Conv2d(inChannels, outChannels, 3, 1, 1, rng));
        this.timeProj = child("time_proj", new Linear(timeDim, outChannels, rng));
        this.norm2 = child("norm2", new GroupNorm(groups, outChannels, 1e-5f));
        this.dropout = child("dropout", new Dropout(dropoutP, rng));
        this.conv2 = child("conv2", new Conv2d(outChannels, outChannels, 3, 1, 1, rng).zeroInit());
        this.skip = inChannels == outChannels ? null : child("skip", new Conv2d(inChannels, outChannels, 1, 1, 0, rng));
    }

    @Override
    protected Tensor compute(Tensor x, Tensor temb, Tensor... skipInputs) { // (B, C, H, W), (B, T) -> (B, O, H, W)
        if (temb == null) {
            throw new IllegalArgumentException("ResBlock needs a time embedding: call forward(x, temb)");
        }
        if (skipInputs.length > 0) {
            x = concatChannels(x, skipInputs);                 // the U-Net's skip connection
        }
        Tensor h = conv1.forward(norm1.forward(x).silu());
        Tensor t = timeProj.forward(temb.silu()).reshape(temb.size(0), outChannels, 1, 1);
        h = h.add(t);
        h = conv2.forward(dropout.forward(norm2.forward(h).silu()));
        return (skip == null ? x : skip.forward(x)).add(h);
    }

    private static Tensor concatChannels(Tensor x, Tensor[] skips) { // (B, C, H, W), (B, S, H, W)... -> (B, C + S..., H, W)
        Tensor[] all = new Tensor[skips.length + 1];
        all[0] = x;
        System.arraycopy(skips, 0, all, 1, skips.length);
        return Tensor.concat(1, all);
    }
}
