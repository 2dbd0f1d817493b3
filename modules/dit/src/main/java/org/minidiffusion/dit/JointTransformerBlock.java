package org.minidiffusion.dit;

import org.minidiffusion.core.api.AbstractLayer;
import org.minidiffusion.core.api.Rng;
import org.minidiffusion.core.api.ShapeException;
import org.minidiffusion.core.api.Tensor;

/**
 * The MMDiT block (Esser et al. 2024, figure 2b; diffusers' {@code JointTransformerBlock}): two
 * streams with separate weights, image tokens {@code x} and text tokens {@code c}, both modulated
 * from {@code temb} by adaLN-Zero ({@code norm1}, {@code norm1_context}), joined in one
 * {@link JointAttention}, then each through its own gated MLP:
 * <pre>
 *   x ← x + gate_msa · attn_x,   x ← x + gate_mlp · ff(LN(x) · (1 + scale_mlp) + shift_mlp)
 *   c ← c + c_gate_msa · attn_c, c ← c + c_gate_mlp · ff_context(LN(c) · (1 + c_scale_mlp) + c_shift_mlp)
 * </pre>
 * In the last block ({@code context_pre_only}) the text stream only feeds the attention: its
 * {@code norm1_context} is an {@link AdaLayerNormContinuous}, and it has no {@code ff_context} and no
 * text output.
 */
public final class JointTransformerBlock extends AbstractLayer {
    private final int dim;
    private final boolean contextPreOnly;
    private final AdaLayerNormZero norm1;
    private final AdaLayerNormZero norm1Context;          // null when context_pre_only
    private final AdaLayerNormContinuous norm1ContextPre; // null unless context_pre_only
    private final JointAttention attn;
    private final FeedForward ff;
    private final FeedForward ffContext;                  // null when context_pre_only

    /**
     * Both streams after the block.
     *
     * @param image   {@code (B, L_img, D)}
     * @param context {@code (B, L_txt, D)}, or null after a {@code context_pre_only} block
     */
    public record Output(Tensor image, Tensor context) {
    }

    /**
     * Creates a block.
     *
     * @param dim            D = heads · headDim
     * @param heads          H
     * @param headDim        d
     * @param contextPreOnly whether this is the last block, whose text output is dropped
     * @param qkNorm         whether queries and keys are RMS-normalised
     * @param rng            the generator for the initial weights
     */
    public JointTransformerBlock(int dim, int heads, int headDim, boolean contextPreOnly, boolean qkNorm, Rng rng) {
        if (heads <= 0 || headDim <= 0 || heads * headDim != dim) {
            throw new IllegalArgumentException("JointTransformerBlock: heads (" + heads + ") x head dim (" + headDim
                    + ") must equal the token size " + dim);
        }
        this.dim = dim;
        this.contextPreOnly = contextPreOnly;
        this.norm1 = child("norm1", new AdaLayerNormZero(dim, rng));
        if (contextPreOnly) {
            this.norm1Context = null;
            this.norm1ContextPre = child("norm1_context", new AdaLayerNormContinuous(dim, rng));
        } else {
            this.norm1Context = child("norm1_context", new AdaLayerNormZero(dim, rng));
            this.norm1ContextPre = null;
        }
        this.attn = child("attn", new JointAttention(dim, heads, headDim, contextPreOnly, qkNorm, rng));
        this.ff = child("ff", new FeedForward(dim, rng));
        this.ffContext = contextPreOnly ? null : child("ff_context", new FeedForward(dim, rng));
    }

    /**
     * Returns whether this block drops its text output.
     *
     * @return true for SD3's last block
     */
    public boolean contextPreOnly() {
        return contextPreOnly;
    }

    /** Not defined for one stream; use {@link #forward(Tensor, Tensor, Tensor)}. */
    @Override
    public Tensor forward(Tensor x) {
        throw new UnsupportedOperationException("JointTransformerBlock needs both streams and temb: call forward(x, c, temb)");
    }

    /**
     * Applies the block.
     *
     * @param x    image tokens {@code (B, L_img, D)}
     * @param c    text tokens {@code (B, L_txt, D)}
     * @param temb the conditioning {@code (B, D)}
     * @return both streams; the text stream is null when {@link #contextPreOnly()}
     */
    public Output forward(Tensor x, Tensor c, Tensor temb) {
        if (x.rank() != 3 || x.size(2) != dim || c.rank() != 3 || c.size(2) != dim || c.size(0) != x.size(0)
                || temb.rank() != 2 || temb.size(0) != x.size(0) || temb.size(1) != dim) {
            throw new ShapeException("JointTransformerBlock", "expects image tokens (B, L_img, " + dim + "), text tokens (B, L_txt, "
                    + dim + ") and temb (B, " + dim + ")", x.shape(), c.shape(), temb.shape());
        }
        AdaLayerNormZero.Output mx = norm1.forward(x, temb);
        AdaLayerNormZero.Output mc = contextPreOnly ? null : norm1Context.forward(c, temb);
        Tensor normedC = contextPreOnly ? norm1ContextPre.forward(c, temb) : mc.normed();
        JointAttention.Output a = attn.forward(mx.normed(), normedC);

        x = Modulation.gatedResidual(x, mx.gateMsa(), a.image());
        Tensor h = Modulation.modulate(Modulation.layerNorm(x), mx.shiftMlp(), mx.scaleMlp());
        x = Modulation.gatedResidual(x, mx.gateMlp(), ff.forward(h));
        if (contextPreOnly) {
            return new Output(x, null);
        }
        c = Modulation.gatedResidual(c, mc.gateMsa(), a.context());
        Tensor hc = Modulation.modulate(Modulation.layerNorm(c), mc.shiftMlp(), mc.scaleMlp());
        c = Modulation.gatedResidual(c, mc.gateMlp(), ffContext.forward(hc));
        return new Output(x, c);
    }
}
