package org.minidiffusion.dit;

import org.minidiffusion.core.api.AbstractLayer;
import org.minidiffusion.core.api.Rng;
import org.minidiffusion.core.api.Tensor;
import org.minidiffusion.nn.Attention;
import org.minidiffusion.nn.LayerList;
import org.minidiffusion.nn.Linear;
import org.minidiffusion.nn.RMSNorm;

/**
 * The joint attention of MMDiT (Esser et al. 2024, section 4 and figure 2b; diffusers' {@code Attention}
 * with {@code JointAttnProcessor2_0}): each stream has its own projections (image: {@code to_q},
 * {@code to_k}, {@code to_v}, {@code to_out.0}; text: {@code add_q_proj}, {@code add_k_proj},
 * {@code add_v_proj}, {@code to_add_out}), the heads of both are concatenated along the token axis,
 * image tokens first, one unmasked attention runs over all of them, and the result is split back.
 * With {@code qk_norm = "rms_norm"} the queries and keys of each head are RMS-normalised first
 * ({@code norm_q}, {@code norm_k}, {@code norm_added_q}, {@code norm_added_k}; section 5.3.2).
 * In the last block ({@code context_pre_only}) the text output is not needed, so {@code to_add_out}
 * does not exist.
 */
public final class JointAttention extends AbstractLayer {
    private final int heads;
    private final boolean contextPreOnly;
    private final Linear toQ;
    private final Linear toK;
    private final Linear toV;
    private final RMSNorm normQ;
    private final RMSNorm normK;
    private final RMSNorm normAddedQ;
    private final RMSNorm normAddedK;
    private final Linear addQ;
    private final Linear addK;
    private final Linear addV;
    private final Linear toOut;
    private final Linear toAddOut;

    /**
     * The outputs of both streams.
     *
     * @param image   {@code (B, L_img, D)}
     * @param context {@code (B, L_txt, D)}, or null in a {@code context_pre_only} block
     */
    public record Output(Tensor image, Tensor context) {
    }

    /**
     * Creates the attention.
     *
     * @param dim            D, the token size of both streams
     * @param heads          H
     * @param headDim        d
     * @param contextPreOnly whether the text output is dropped (the last block)
     * @param qkNorm         whether queries and keys are RMS-normalised
     * @param rng            the generator for the initial weights
     */
    public JointAttention(int dim, int heads, int headDim, boolean contextPreOnly, boolean qkNorm, Rng rng) {
        int inner = heads * headDim;
        this.heads = heads;
        this.contextPreOnly = contextPreOnly;
        this.toQ = child("to_q", new Linear(dim, inner, rng));
        this.toK = child("to_k", new Linear(dim, inner, rng));
        this.toV = child("to_v", new Linear(dim, inner, rng));
        this.normQ = qkNorm ? child("norm_q", new RMSNorm(headDim, Modulation.EPS)) : null;
        this.normK = qkNorm ? child("norm_k", new RMSNorm(headDim, Modulation.EPS)) : null;
        this.addK = child("add_k_proj", new Linear(dim, inner, rng));
        this.addV = child("add_v_proj", new Linear(dim, inner, rng));
        this.addQ = child("add_q_proj", new Linear(dim, inner, rng));
        this.toOut = child("to_out", new LayerList<Linear>()).add(new Linear(inner, dim, rng)).get(0);
        this.toAddOut = contextPreOnly ? null : child("to_add_out", new Linear(inner, dim, rng));
        this.normAddedQ = qkNorm ? child("norm_added_q", new RMSNorm(headDim, Modulation.EPS)) : null;
        this.normAddedK = qkNorm ? child("norm_added_k", new RMSNorm(headDim, Modulation.EPS)) : null;
    }

    /** Not defined for one stream; use {@link #forward(Tensor, Tensor)}. */
    @Override
    public Tensor forward(Tensor x) {
        throw new UnsupportedOperationException("JointAttention needs both streams: call forward(image, context)");
    }

    /**
     * Attends jointly over both streams.
     *
     * @param image   image tokens {@code (B, L_img, D)}
     * @param context text tokens {@code (B, L_txt, D)}
     * @return both streams' outputs
     */
    public Output forward(Tensor image, Tensor context) {
        Tensor q = Attention.splitHeads(toQ.forward(image), heads);   // (B, H, L_img, d)
        Tensor k = Attention.splitHeads(toK.forward(image), heads);
        Tensor v = Attention.splitHeads(toV.forward(image), heads);
        Tensor cq = Attention.splitHeads(addQ.forward(context), heads); // (B, H, L_txt, d)
        Tensor ck = Attention.splitHeads(addK.forward(context), heads);
        Tensor cv = Attention.splitHeads(addV.forward(context), heads);
        if (normQ != null) {
            q = normQ.forward(q);
            k = normK.forward(k);
            cq = normAddedQ.forward(cq);
            ck = normAddedK.forward(ck);
        }
        Tensor out = Attention.scaledDotProduct(Tensor.concat(2, q, cq), Tensor.concat(2, k, ck), Tensor.concat(2, v, cv),
                null);                                              // (B, H, L_img + L_txt, d)
        Tensor merged = Attention.mergeHeads(out);                  // (B, L_img + L_txt, H·d)
        int n = image.size(1);
        Tensor imageOut = toOut.forward(merged.narrow(1, 0, n));
        Tensor contextOut = contextPreOnly ? null : toAddOut.forward(merged.narrow(1, n, context.size(1)));
        return new Output(imageOut, contextOut);
    }
}
