package org.minidiffusion.dit;

import java.util.List;
import org.minidiffusion.core.api.AbstractLayer;
import org.minidiffusion.core.api.Rng;
import org.minidiffusion.core.api.Tensor;
import org.minidiffusion.nn.Linear;

/**
 * adaLN-Zero of one MMDiT stream (Esser et al. 2024, figure 2; diffusers' {@code AdaLayerNormZero}):
 * {@code linear(silu(temb))} gives {@code shift, scale, gate} for attention and for the MLP (in this
 * order), and the attention input is {@code LN(x) · (1 + scale_msa) + shift_msa} with LayerNorm
 * without affine parameters (eps 1e-6).
 */
public final class AdaLayerNormZero extends AbstractLayer {
    private final Linear linear;

    /**
     * The modulated attention input and the other modulation vectors, each {@code (B, D)}.
     *
     * @param normed   {@code LN(x) · (1 + scale_msa) + shift_msa}, {@code (B, L, D)}
     * @param gateMsa  the attention gate
     * @param shiftMlp the MLP shift
     * @param scaleMlp the MLP scale
     * @param gateMlp  the MLP gate
     */
    public record Output(Tensor normed, Tensor gateMsa, Tensor shiftMlp, Tensor scaleMlp, Tensor gateMlp) {
    }

    /**
     * Creates the layer.
     *
     * @param dim D
     * @param rng the generator for the initial weights
     */
    public AdaLayerNormZero(int dim, Rng rng) {
        this.linear = child("linear", new Linear(dim, 6 * dim, rng));
    }

    /** Not defined without the conditioning; use {@link #forward(Tensor, Tensor)}. */
    @Override
    public Tensor forward(Tensor x) {
        throw new UnsupportedOperationException("AdaLayerNormZero needs the conditioning: call forward(x, temb)");
    }

    /**
     * Modulates a stream.
     *
     * @param x    tokens {@code (B, L, D)}
     * @param temb the conditioning {@code (B, D)}
     * @return the modulated tokens and the remaining modulation
     */
    public Output forward(Tensor x, Tensor temb) {
        List<Tensor> m = linear.forward(temb.silu()).chunk(6, 1); // 6 × (B, D)
        return new Output(Modulation.modulate(Modulation.layerNorm(x), m.get(0), m.get(1)), m.get(2), m.get(3), m.get(4),
                m.get(5));
    }
}
