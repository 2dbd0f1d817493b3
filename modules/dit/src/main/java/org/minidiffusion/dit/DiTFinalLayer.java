package org.minidiffusion.dit;

import org.minidiffusion.core.api.AbstractLayer;
import org.minidiffusion.core.api.Layer;
import org.minidiffusion.core.api.Rng;
import org.minidiffusion.core.api.ShapeException;
import org.minidiffusion.core.api.Tensor;
import org.minidiffusion.nn.LayerList;
import org.minidiffusion.nn.Linear;

/**
 * The last layer of DiT (Peebles and Xie 2023, section 3.2, "Transformer decoder"): its own adaLN,
 * {@code (shift, scale) = adaLN_modulation(c)}, then {@code linear(LN(x) · (1 + scale) + shift)} to
 * {@code p·p·C} values per token. Both the modulation and {@code linear} start at zero, so a fresh
 * DiT predicts zero.
 */
public final class DiTFinalLayer extends AbstractLayer {
    private final int dim;
    private final Linear linear;
    private final Linear modulation;

    /**
     * Creates the layer, zero-initialised.
     *
     * @param dim         D
     * @param patch       p
     * @param outChannels C
     * @param rng         the generator (the initial weights are zero; it keeps the draw order of the model)
     */
    public DiTFinalLayer(int dim, int patch, int outChannels, Rng rng) {
        this.dim = dim;
        this.linear = child("linear", DiTBlock.zeroInit(new Linear(dim, patch * patch * outChannels, rng)));
        LayerList<Layer> ada = child("adaLN_modulation", new LayerList<>());
        ada.add(new Modulation.Silu());
        this.modulation = DiTBlock.zeroInit(new Linear(dim, 2 * dim, rng));
        ada.add(modulation);
    }

    /** Not defined without the conditioning; use {@link #forward(Tensor, Tensor)}. */
    @Override
    public Tensor forward(Tensor x) {
        throw new UnsupportedOperationException("DiTFinalLayer needs the conditioning vector: call forward(x, c)");
    }

    /**
     * Applies the layer.
     *
     * @param x tokens {@code (B, L, D)}
     * @param c the conditioning {@code (B, D)}
     * @return {@code (B, L, p·p·C)}
     */
    public Tensor forward(Tensor x, Tensor c) {
        if (x.rank() != 3 || x.size(2) != dim || c.rank() != 2 || c.size(0) != x.size(0) || c.size(1) != dim) {
            throw new ShapeException("DiTFinalLayer", "expects tokens (B, L, " + dim + ") and conditioning (B, " + dim + ")",
                    x.shape(), c.shape());
        }
        var m = modulation.forward(c.silu()).chunk(2, 1); // shift, scale: 2 × (B, D)
        return linear.forward(Modulation.modulate(Modulation.layerNorm(x), m.get(0), m.get(1)));
    }
}
