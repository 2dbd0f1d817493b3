package org.minidiffusion.diffusion.unet;

import org.minidiffusion.core.api.Rng;
import org.minidiffusion.core.api.Tensor;
import org.minidiffusion.nn.Block;
import org.minidiffusion.nn.GroupNorm;
import org.minidiffusion.nn.MultiHeadAttention;

/** Self-attention over the pixels of a feature map, with a residual connection: {@code x + attn(norm(x))}. */
final class AttentionBlock extends Block {
    private final GroupNorm norm;
    private final MultiHeadAttention attention;

    AttentionBlock(int channels, int heads, int groups, Rng rng) {
        this.norm = child("norm", new GroupNorm(groups, channels, 1e-5f));
        this.attention = child("attention", new MultiHeadAttention(channels, heads, rng));
    }

    @Override
    protected Tensor compute(Tensor x, Tensor condition, Tensor... skips) { // (B, C, H, W) -> same
        if (condition != null || skips.length > 0) {
            throw new IllegalArgumentException("AttentionBlock takes neither a conditioning nor a skip connection");
        }
        int b = x.size(0);
        int c = x.size(1);
        int h = x.size(2);
        int w = x.size(3);
        Tensor tokens = norm.forward(x).reshape(b, c, h * w).transpose(1, 2); // (B, HW, C)
        Tensor attended = attention.forward(tokens).transpose(1, 2).reshape(b, c, h, w);
        return x.add(attended);
    }
}
