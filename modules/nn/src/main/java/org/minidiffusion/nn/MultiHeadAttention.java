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
        Tensor q = Attention.splitHeads(query.forward(x), heads);    // (B, H, L, d)
        Tensor k = Attention.splitHeads(key.forward(x), heads);
        Tensor v = Attention.splitHeads(value.forward(x), heads);
        Tensor context = Attention.scaledDotProduct(q, k, v, null);  // (B, H, L, d), scores scaled by 1/sqrt(d)
        return out.forward(Attention.mergeHeads(context));           // (B, L, D)
    }
}
