package org.minidiffusion.transformer.clip;

import org.minidiffusion.core.api.AbstractLayer;
import org.minidiffusion.core.api.Rng;
import org.minidiffusion.core.api.Tensor;
import org.minidiffusion.nn.Attention;
import org.minidiffusion.nn.LayerNorm;
import org.minidiffusion.nn.Linear;

/**
 * One pre-LayerNorm block of CLIP's text transformer (HF {@code CLIPEncoderLayer}):
 * {@code h = x + attn(ln1(x))}, {@code y = h + mlp(ln2(h))}.
 */
final class ClipEncoderLayer extends AbstractLayer {
    private final LayerNorm layerNorm1;
    private final SelfAttention selfAttn;
    private final LayerNorm layerNorm2;
    private final Mlp mlp;

    ClipEncoderLayer(ClipTextConfig config, Rng rng) {
        this.selfAttn = child("self_attn", new SelfAttention(config, rng));
        this.layerNorm1 = child("layer_norm1", new LayerNorm(config.hiddenSize(), config.layerNormEps()));
        this.mlp = child("mlp", new Mlp(config, rng));
        this.layerNorm2 = child("layer_norm2", new LayerNorm(config.hiddenSize(), config.layerNormEps()));
    }

    /** Runs the block without a mask; {@link #forward(Tensor, Tensor)} is the one the model uses. */
    @Override
    public Tensor forward(Tensor x) {
        return forward(x, null);
    }

    /**
     * Runs the block.
     *
     * @param x    {@code (B, L, D)}
     * @param mask the additive mask, broadcastable to {@code (B, H, L, L)}, or null
     * @return {@code (B, L, D)}
     */
    Tensor forward(Tensor x, Tensor mask) {
        Tensor h = x.add(selfAttn.forward(layerNorm1.forward(x), mask)); // attention sub-block
        return h.add(mlp.forward(layerNorm2.forward(h)));                 // MLP sub-block
    }

    /** Multi-head self-attention with biased projections (HF {@code CLIPAttention}). */
    static final class SelfAttention extends AbstractLayer {
        private final int heads;
        private final Linear qProj;
        private final Linear kProj;
        private final Linear vProj;
        private final Linear outProj;

        SelfAttention(ClipTextConfig config, Rng rng) {
            int d = config.hiddenSize();
            this.heads = config.numAttentionHeads();
            this.kProj = child("k_proj", new Linear(d, d, rng));
            this.vProj = child("v_proj", new Linear(d, d, rng));
            this.qProj = child("q_proj", new Linear(d, d, rng));
            this.outProj = child("out_proj", new Linear(d, d, rng));
        }

        @Override
        public Tensor forward(Tensor x) {
            return forward(x, null);
        }

        Tensor forward(Tensor x, Tensor mask) { // (B, L, D) -> (B, L, D)
            Tensor q = Attention.splitHeads(qProj.forward(x), heads); // (B, H, L, d)
            Tensor k = Attention.splitHeads(kProj.forward(x), heads);
            Tensor v = Attention.splitHeads(vProj.forward(x), heads);
            return outProj.forward(Attention.mergeHeads(Attention.scaledDotProduct(q, k, v, mask))); // scale 1/sqrt(d)
        }
    }

    /** {@code fc2(act(fc1(x)))} (HF {@code CLIPMLP}). */
    static final class Mlp extends AbstractLayer {
        private final boolean quickGelu;
        private final Linear fc1;
        private final Linear fc2;

        Mlp(ClipTextConfig config, Rng rng) {
            this.quickGelu = "quick_gelu".equals(config.hiddenAct());
            this.fc1 = child("fc1", new Linear(config.hiddenSize(), config.intermediateSize(), rng));
            this.fc2 = child("fc2", new Linear(config.intermediateSize(), config.hiddenSize(), rng));
        }

        @Override
        public Tensor forward(Tensor x) {
            Tensor h = fc1.forward(x);
            // QuickGELU, x·σ(1.702x): the sigmoid approximation of GELU that OpenAI's CLIP was trained with
            h = quickGelu ? h.mul(h.mul(1.702f).sigmoid()) : h.gelu();
            return fc2.forward(h);
        }
    }
}
