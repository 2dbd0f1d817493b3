package org.minidiffusion.dit;

import java.util.List;
import org.minidiffusion.core.api.AbstractLayer;
import org.minidiffusion.core.api.Rng;
import org.minidiffusion.core.api.Tensor;
import org.minidiffusion.nn.Linear;

/**
 * adaLN without a gate (diffusers' {@code AdaLayerNormContinuous}, {@code elementwise_affine=False},
 * eps 1e-6): {@code (scale, shift) = linear(silu(cond))}, in this order, and
 * {@code LN(x) · (1 + scale) + shift}. SD3 uses it for {@code norm_out} and for the text stream of
 * its last block.
 */
public final class AdaLayerNormContinuous extends AbstractLayer {
    private final Linear linear;

    /**
     * Creates the layer.
     *
     * @param dim D, both the token size and the conditioning size
     * @param rng the generator for the initial weights
     */
    public AdaLayerNormContinuous(int dim, Rng rng) {
        this.linear = child("linear", new Linear(dim, 2 * dim, rng));
    }

    /** Not defined without the conditioning; use {@link #forward(Tensor, Tensor)}. */
    @Override
    public Tensor forward(Tensor x) {
        throw new UnsupportedOperationException("AdaLayerNormContinuous needs the conditioning: call forward(x, cond)");
    }

    /**
     * Modulates tokens.
     *
     * @param x    {@code (B, L, D)}
     * @param cond {@code (B, D)}
     * @return {@code (B, L, D)}
     */
    public Tensor forward(Tensor x, Tensor cond) {
        List<Tensor> m = linear.forward(cond.silu()).chunk(2, 1); // scale, shift: 2 × (B, D)
        return Modulation.modulate(Modulation.layerNorm(x), m.get(1), m.get(0));
    }
}
