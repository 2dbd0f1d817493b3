package org.minidiffusion.dit;

import org.minidiffusion.core.api.AbstractLayer;
import org.minidiffusion.core.api.Layer;
import org.minidiffusion.core.api.Rng;
import org.minidiffusion.core.api.ShapeException;
import org.minidiffusion.core.api.Tensor;
import org.minidiffusion.nn.Attention;
import org.minidiffusion.nn.LayerList;
import org.minidiffusion.nn.Linear;

/**
 * The DiT block with adaLN-Zero (Peebles and Xie 2023, section 3.2 and figure 3): from the
 * conditioning {@code c}, {@code adaLN_modulation = [SiLU, Linear(D, 6D)]} regresses
 * {@code (shift, scale, gate)} for attention and for the MLP, and
 * <pre>
 *   x ← x + gate_msa · attn(LN(x) · (1 + scale_msa) + shift_msa)
 *   x ← x + gate_mlp · mlp(LN(x) · (1 + scale_mlp) + shift_mlp)
 * </pre>
 * with LayerNorm without affine parameters (eps 1e-6), multi-head self-attention without a mask
 * ({@code attn.qkv}, {@code attn.proj}) and an MLP with GELU-tanh ({@code mlp.fc1}, {@code mlp.fc2}).
 * The modulation weights and biases start at zero, so every gate is zero and a fresh block is the
 * identity. Names are facebookresearch/DiT's.
 */
public final class DiTBlock extends AbstractLayer {
    private final int dim;
    private final int heads;
    private final Linear qkv;
    private final Linear proj;
    private final MlpLayer mlp;
    private final Linear modulation;

    /**
     * Creates a block whose modulation is zero, so it is the identity until trained.
     *
     * @param dim      D, the token size
     * @param heads    attention heads, dividing D
     * @param mlpRatio the MLP's hidden size over D (4 in DiT)
     * @param rng      the generator for the initial weights
     */
    public DiTBlock(int dim, int heads, float mlpRatio, Rng rng) {
        if (heads <= 0 || dim % heads != 0) {
            throw new IllegalArgumentException("DiTBlock: " + heads + " heads do not divide the token size " + dim);
        }
        this.dim = dim;
        this.heads = heads;
        int hidden = (int) (dim * mlpRatio);
        AttentionLayer attention = child("attn", new AttentionLayer(dim, rng));
        this.qkv = attention.qkv;
        this.proj = attention.proj;
        this.mlp = child("mlp", new MlpLayer(dim, hidden, rng));
        LayerList<Layer> ada = child("adaLN_modulation", new LayerList<>());
        ada.add(new Modulation.Silu());
        this.modulation = zeroInit(new Linear(dim, 6 * dim, rng));
        ada.add(modulation);
    }

    /** Sets a linear layer's weight and bias to zero (adaLN-Zero, DiT section 3.2). */
    static Linear zeroInit(Linear linear) {
        linear.parameters().values().forEach(p -> p.set(Tensor.zeros(p.shape().toArray())));
        return linear;
    }

    /** Not defined without the conditioning; use {@link #forward(Tensor, Tensor)}. */
    @Override
    public Tensor forward(Tensor x) {
        throw new UnsupportedOperationException("DiTBlock needs the conditioning vector: call forward(x, c)");
    }

    /**
     * Applies the block.
     *
     * @param x tokens {@code (B, L, D)}
     * @param c the conditioning {@code (B, D)}
     * @return {@code (B, L, D)}
     */
    public Tensor forward(Tensor x, Tensor c) {
        if (x.rank() != 3 || x.size(2) != dim || c.rank() != 2 || c.size(0) != x.size(0) || c.size(1) != dim) {
            throw new ShapeException("DiTBlock", "expects tokens (B, L, " + dim + ") and conditioning (B, " + dim + ")",
                    x.shape(), c.shape());
        }
        var m = modulation.forward(c.silu()).chunk(6, 1); // 6 × (B, D)
        Tensor h = Modulation.modulate(Modulation.layerNorm(x), m.get(0), m.get(1));
        x = Modulation.gatedResidual(x, m.get(2), selfAttention(h));
        h = Modulation.modulate(Modulation.layerNorm(x), m.get(3), m.get(4));
        return Modulation.gatedResidual(x, m.get(5), mlp.forward(h));
    }

    private Tensor selfAttention(Tensor h) { // (B, L, D) -> (B, L, D)
        var qkvParts = qkv.forward(h).chunk(3, 2); // 3 × (B, L, D), timm's [q | k | v] order
        Tensor q = Attention.splitHeads(qkvParts.get(0), heads);
        Tensor k = Attention.splitHeads(qkvParts.get(1), heads);
        Tensor v = Attention.splitHeads(qkvParts.get(2), heads);
        return proj.forward(Attention.mergeHeads(Attention.scaledDotProduct(q, k, v, null)));
    }

    /** timm's {@code Attention}: its parameters {@code qkv} and {@code proj}. */
    private static final class AttentionLayer extends AbstractLayer {
        final Linear qkv;
        final Linear proj;

        AttentionLayer(int dim, Rng rng) {
            this.qkv = child("qkv", new Linear(dim, 3 * dim, rng));
            this.proj = child("proj", new Linear(dim, dim, rng));
        }

        @Override
        public Tensor forward(Tensor x) {
            throw new UnsupportedOperationException("the attention of a DiTBlock runs inside DiTBlock.forward(x, c)");
        }
    }

    /** timm's {@code Mlp}: {@code fc2(gelu_tanh(fc1(x)))}. */
    private static final class MlpLayer extends AbstractLayer {
        final Linear fc1;
        final Linear fc2;

        MlpLayer(int dim, int hidden, Rng rng) {
            this.fc1 = child("fc1", new Linear(dim, hidden, rng));
            this.fc2 = child("fc2", new Linear(hidden, dim, rng));
        }

        @Override
        public Tensor forward(Tensor x) {
            return fc2.forward(fc1.forward(x).geluTanh());
        }
    }
}
