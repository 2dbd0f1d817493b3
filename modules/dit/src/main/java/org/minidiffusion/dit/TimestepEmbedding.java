package org.minidiffusion.dit;

import org.minidiffusion.core.api.AbstractLayer;
import org.minidiffusion.core.api.Rng;
import org.minidiffusion.core.api.Tensor;
import org.minidiffusion.nn.Linear;

/**
 * {@code linear_2(silu(linear_1(x)))}: diffusers' {@code TimestepEmbedding} (on the sinusoidal
 * features) and, with the same structure and names, its {@code PixArtAlphaTextProjection(act_fn="silu")}
 * (on the pooled text embedding).
 */
public final class TimestepEmbedding extends AbstractLayer {
    private final Linear linear1;
    private final Linear linear2;

    /**
     * Creates the embedding.
     *
     * @param in  input features
     * @param dim output (and hidden) features
     * @param rng the generator for the initial weights
     */
    public TimestepEmbedding(int in, int dim, Rng rng) {
        this.linear1 = child("linear_1", new Linear(in, dim, rng));
        this.linear2 = child("linear_2", new Linear(dim, dim, rng));
    }

    @Override
    public Tensor forward(Tensor x) { // (B, in) -> (B, dim)
        return linear2.forward(linear1.forward(x).silu());
    }
}
