package org.minidiffusion.vae;

import org.minidiffusion.core.api.AbstractLayer;
import org.minidiffusion.core.api.Rng;
import org.minidiffusion.core.api.ShapeException;
import org.minidiffusion.core.api.Tensor;
import org.minidiffusion.nn.GroupNorm;
import org.minidiffusion.nn.LayerList;
import org.minidiffusion.nn.Linear;

/**
 * Single-head self-attention over the {@code H·W} positions of a feature map, with a residual
 * connection: diffusers' {@code Attention} as the autoencoder's mid block builds it (one head of
 * size C, a {@code group_norm} before the projections). With {@code h = GroupNorm(x)} viewed as
 * {@code (N, H·W, C)}: {@code x + to_out(softmax(Q K^T / sqrt(C)) V)} with {@code Q = to_q(h)} and
 * so on (Vaswani et al. 2017, eq. 1).
 */
final class SpatialSelfAttention extends AbstractLayer {
    private final int channels;
    private final GroupNorm groupNorm;
    private final Linear toQ;
    private final Linear toK;
    private final Linear toV;
    private final LayerList<Linear> toOut; // diffusers' to_out = [Linear, Dropout]; the dropout has no parameters

    SpatialSelfAttention(int channels, int groups, float eps, Rng rng) {
        this.channels = channels;
        this.groupNorm = child("group_norm", new GroupNorm(groups, channels, eps));
        this.toQ = child("to_q", new Linear(channels, channels, rng));
        this.toK = child("to_k", new Linear(channels, channels, rng));
        this.toV = child("to_v", new Linear(channels, channels, rng));
        this.toOut = child("to_out", new LayerList<Linear>().add(new Linear(channels, channels, rng)));
    }

    @Override
    public Tensor forward(Tensor x) { // (N, C, H, W) -> same
        if (x.rank() != 4 || x.size(1) != channels) {
            throw new ShapeException("SpatialSelfAttention", "expects (N, " + channels + ", H, W)", x.shape());
        }
        int n = x.size(0);
        int h = x.size(2);
        int w = x.size(3);
        Tensor tokens = groupNorm.forward(x).reshape(n, channels, h * w).transpose(1, 2); // (N, HW, C)
        Tensor q = toQ.forward(tokens);                                                 // (N, HW, C)
        Tensor k = toK.forward(tokens);
        Tensor v = toV.forward(tokens);
        Tensor scores = q.matmul(k.transpose(1, 2)).mul((float) (1.0 / Math.sqrt(channels))); // (N, HW, HW)
        Tensor context = scores.softmax(-1).matmul(v);                                  // (N, HW, C)
        Tensor out = toOut.forward(context).transpose(1, 2).reshape(n, channels, h, w);  // (N, C, H, W)
        return x.add(out);
    }
}
