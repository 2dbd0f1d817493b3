package org.minidiffusion.nn;

import org.minidiffusion.core.api.AbstractLayer;
import org.minidiffusion.core.api.Rng;
import org.minidiffusion.core.api.ShapeException;
import org.minidiffusion.core.api.Tensor;

/**
 * Multi-head scaled dot-product self-attention (Vaswani et al. 2017, eq. 1 and section 3.2.2).
 *
 * <p>The model dim is split into {@code heads} heads of {@code dim / heads}; each head attends with
 * its own softmax over the keys of every query row: {@code softmax(Q K^T / sqrt(d)) V}.
 */
public final class MultiHeadAttention extends AbstractLayer {
    private final int dim;
    private final int heads;
    private final Linear query;
    private final Linear key;
    private final Linear value;
    private final Linear out;

    /**
     * Creates the layer.
     *
     * @param dim   the model dim D
     * @param heads the number of heads, dividing D
     * @param rng   the generator for the initial weights
     */
    public MultiHeadAttention(int dim, int heads, Rng rng) {
        if (heads <= 0 || dim % heads != 0) {
            throw new IllegalArgumentException("MultiHeadAttention: dim " + dim + " is not divisible by " + heads + " heads");
        }
        this.dim = dim;
        this.heads = heads;
        this.query = child("query", new Linear(dim, dim, rng));
        this.key = child("key", new Linear(dim, dim, rng));
        this.value = child("value", new Linear(dim, dim, rng));
        this.out = child("out", new Linear(dim, dim, rng));
    }

    @Override
    public Tensor forward(Tensor x) { // (B, L, D) -> (B, L, D)
        if (x.rank() != 3 || x.size(2) != dim) {
            throw new ShapeException("MultiHeadAttention", "expects (B, L, " + dim + ")", x.shape());
        }
        int b = x.size(0);
        int len = x.size(1);
        int headDim = dim / heads;
        Tensor q = splitHeads(query.forward(x), b, len, headDim);    // (B, H, L, d)
        Tensor k = splitHeads(key.forward(x), b, len, headDim);
        Tensor v = splitHeads(value.forward(x), b, len, headDim);
        Tensor scores = q.matmul(k.transpose(-1, -2)).mul((float) (1.0 / Math.sqrt(headDim))); // (B, H, L, L)
        Tensor weights = scores.softmax(-1);                          // each query row sums to 1
        Tensor context = weights.matmul(v)                            // (B, H, L, d)
                .permute(0, 2, 1, 3).reshape(b, len, dim);            // (B, L, D)
        return out.forward(context);
    }

    private Tensor splitHeads(Tensor t, int b, int len, int headDim) {
        return t.reshape(b, len, heads, headDim).permute(0, 2, 1, 3);
    }
}
