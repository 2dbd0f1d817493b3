package org.minidiffusion.vae;

import org.minidiffusion.core.api.AbstractLayer;
import org.minidiffusion.core.api.Rng;
import org.minidiffusion.core.api.Tensor;
import org.minidiffusion.nn.Conv2d;
import org.minidiffusion.nn.GroupNorm;

/**
 * The residual block of the autoencoder, diffusers' {@code ResnetBlock2D} without a time embedding
 * (He et al. 2016 with the pre-activation order): {@code x + conv2(silu(norm2(conv1(silu(norm1(x))))))},
 * where {@code x} passes through a 1x1 {@code conv_shortcut} when the channel count changes.
 */
final class ResnetBlock2D extends AbstractLayer {
    private final GroupNorm norm1;
    private final Conv2d conv1;
    private final GroupNorm norm2;
    private final Conv2d conv2;
    private final Conv2d convShortcut; // null when in == out

    ResnetBlock2D(int in, int out, int groups, float eps, Rng rng) {
        this.norm1 = child("norm1", new GroupNorm(groups, in, eps));
        this.conv1 = child("conv1", new Conv2d(in, out, 3, 1, 1, rng));
        this.norm2 = child("norm2", new GroupNorm(groups, out, eps));
        this.conv2 = child("conv2", new Conv2d(out, out, 3, 1, 1, rng));
        this.convShortcut = in == out ? null : child("conv_shortcut", new Conv2d(in, out, 1, 1, 0, rng));
    }

    @Override
    public Tensor forward(Tensor x) { // (N, in, H, W) -> (N, out, H, W)
        Tensor h = conv1.forward(norm1.forward(x).silu());
        h = conv2.forward(norm2.forward(h).silu()); // dropout is 0 in every released autoencoder
        Tensor skip = convShortcut == null ? x : convShortcut.forward(x);
        return skip.add(h);
    }
}
