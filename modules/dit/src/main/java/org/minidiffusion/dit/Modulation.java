package org.minidiffusion.dit;

import org.minidiffusion.core.api.AbstractLayer;
import org.minidiffusion.core.api.Tensor;

/** The element-wise pieces of adaptive layer norm shared by DiT and MMDiT. */
final class Modulation {
    /** The epsilon of every LayerNorm and RMSNorm of DiT and SD3. */
    static final float EPS = 1e-6f;

    private Modulation() {
    }

    /** LayerNorm over the last dim without affine parameters (PyTorch's {@code elementwise_affine=False}). */
    static Tensor layerNorm(Tensor x) { // (..., D) -> same
        return x.layerNorm(null, null, EPS);
    }

    /** adaLN (Peebles and Xie 2023, section 3.2): {@code x · (1 + scale) + shift}, per sample over every token. */
    static Tensor modulate(Tensor x, Tensor shift, Tensor scale) { // (B, L, D), (B, D), (B, D) -> (B, L, D)
        return x.mul(scale.unsqueeze(1).add(1f)).add(shift.unsqueeze(1));
    }

    /** The gated residual of adaLN-Zero: {@code x + gate · y}, the gate per sample over every token. */
    static Tensor gatedResidual(Tensor x, Tensor gate, Tensor y) { // (B, L, D), (B, D), (B, L, D) -> (B, L, D)
        return x.add(gate.unsqueeze(1).mul(y));
    }

    /** SiLU as a parameterless layer, so that {@code adaLN_modulation = [SiLU, Linear]} keeps PyTorch's indices. */
    static final class Silu extends AbstractLayer {
        @Override
        public Tensor forward(Tensor x) {
            return x.silu();
        }
    }
}
