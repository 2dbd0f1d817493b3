package org.minidiffusion.nn;

import org.minidiffusion.core.api.Shape;
import org.minidiffusion.core.api.ShapeException;
import org.minidiffusion.core.api.Tensor;

/**
 * Scaled dot-product attention (Vaswani et al. 2017, eq. 1) over heads, with an additive mask,
 * and the helpers that build masks and move between {@code (B, L, D)} and {@code (B, H, L, d)}.
 *
 * <p>Queries and keys may come from different sequences: self-attention passes the same tokens
 * three times, cross-attention passes another sequence as keys and values, and joint attention
 * (MMDiT) passes the concatenation of both streams. Masks are additive, as Hugging Face builds
 * them: {@code 0} where a query may attend to a key and {@link #MASKED} where it may not, so that
 * several masks (and T5's position bias) combine by addition. Everything is made of tensor ops, so
 * the backward pass comes from autograd.
 */
public final class Attention {
    /**
     * The additive mask value of a forbidden key: large and negative, so that its softmax weight is
     * exactly 0 in float32, and finite, so that a sum of masks stays finite.
     */
    public static final float MASKED = -1e9f;

    private Attention() {
    }

    /**
     * Returns {@code softmax(scale · Q Kᵀ + mask) V} with the usual scale {@code 1/√d}.
     *
     * @param q    queries {@code (B, H, Lq, d)}
     * @param k    keys {@code (B, H, Lk, d)}
     * @param v    values {@code (B, H, Lk, dv)}
     * @param mask an additive mask broadcastable to {@code (B, H, Lq, Lk)}, or null
     * @return {@code (B, H, Lq, dv)}
     */
    public static Tensor scaledDotProduct(Tensor q, Tensor k, Tensor v, Tensor mask) {
        checkQkv(q, k, v);
        return scaledDotProduct(q, k, v, mask, (float) (1.0 / Math.sqrt(q.size(3))));
    }

    /**
     * Returns {@code softmax(scale · Q Kᵀ + mask) V}, the attention of eq. 1 with an explicit scale
     * (T5 uses 1, having folded {@code 1/√d} into its initialisation).
     *
     * @param q     queries {@code (B, H, Lq, d)}
     * @param k     keys {@code (B, H, Lk, d)}
     * @param v     values {@code (B, H, Lk, dv)}
     * @param mask  an additive mask broadcastable to {@code (B, H, Lq, Lk)}, such as the sum of
     *              {@link #causalMask} and {@link #paddingMask}, or null
     * @param scale the factor of the scores
     * @return {@code (B, H, Lq, dv)}
     */
    public static Tensor scaledDotProduct(Tensor q, Tensor k, Tensor v, Tensor mask, float scale) {
        checkQkv(q, k, v);
        Tensor scores = q.matmul(k.transpose(-1, -2));                // (B, H, Lq, Lk)
        if (scale != 1f) {
            scores = scores.mul(scale);
        }
        if (mask != null) {
            checkMask(mask, scores.shape(), q, k);
            scores = scores.add(mask);
        }
        return scores.softmax(-1).matmul(v);                          // (B, H, Lq, dv)
    }

    /**
     * Returns the causal mask: query {@code i} sees key {@code j} when {@code j ≤ i + Lk − Lq}, so
     * with {@code Lq = Lk} each token sees itself and the tokens before it; when the keys are
     * longer (cached keys of earlier tokens come first) the queries are aligned to the last keys.
     *
     * @param lq the query count, at least 1
     * @param lk the key count, at least {@code lq}
     * @return {@code (1, 1, Lq, Lk)} of 0 and {@link #MASKED}
     */
    public static Tensor causalMask(int lq, int lk) {
        if (lq < 1 || lk < lq) {
            throw new IllegalArgumentException("Attention.causalMask: needs 1 <= Lq <= Lk, got Lq " + lq + ", Lk " + lk);
        }
        float[] m = new float[lq * lk];
        int offset = lk - lq;
        for (int i = 0; i < lq; i++) {
            for (int j = i + offset + 1; j < lk; j++) {
                m[i * lk + j] = MASKED;
            }
        }
        return Tensor.of(m, 1, 1, lq, lk);
    }

    /**
     * Returns the padding mask of a tokenizer's attention mask: key {@code j} of sequence {@code b}
     * is hidden from every query when {@code attentionMask[b][j] == 0}.
     *
     * @param attentionMask {@code (B, Lk)} of 1 (a token) and 0 (padding)
     * @return {@code (B, 1, 1, Lk)} of 0 and {@link #MASKED}
     */
    public static Tensor paddingMask(int[][] attentionMask) {
        if (attentionMask == null || attentionMask.length == 0 || attentionMask[0] == null || attentionMask[0].length == 0) {
            throw new IllegalArgumentException("Attention.paddingMask: the attention mask is empty");
        }
        int b = attentionMask.length;
        int lk = attentionMask[0].length;
        float[] m = new float[b * lk];
        for (int i = 0; i < b; i++) {
            if (attentionMask[i] == null || attentionMask[i].length != lk) {
                throw new IllegalArgumentException("Attention.paddingMask: row " + i + " has "
                        + (attentionMask[i] == null ? "no" : String.valueOf(attentionMask[i].length))
                        + " entries, row 0 has " + lk);
            }
            for (int j = 0; j < lk; j++) {
                int a = attentionMask[i][j];
                if (a != 0 && a != 1) {
                    throw new IllegalArgumentException("Attention.paddingMask: entry [" + i + "][" + j + "] is " + a + ", not 0 or 1");
                }
                m[i * lk + j] = a == 0 ? MASKED : 0f;
            }
        }
        return Tensor.of(m, b, 1, 1, lk);
    }

    /**
     * Splits the model dim into heads.
     *
     * @param x     {@code (B, L, H·d)}
     * @param heads H, dividing the last dim
     * @return {@code (B, H, L, d)}, a view
     */
    public static Tensor splitHeads(Tensor x, int heads) {
        if (x.rank() != 3 || heads <= 0 || x.size(2) % heads != 0) {
            throw new ShapeException("Attention.splitHeads", "expects (B, L, D) with D divisible by " + heads + " heads", x.shape());
        }
        return x.reshape(x.size(0), x.size(1), heads, x.size(2) / heads).permute(0, 2, 1, 3);
    }

    /**
     * Joins the heads back into the model dim, the inverse of {@link #splitHeads}.
     *
     * @param x {@code (B, H, L, d)}
     * @return {@code (B, L, H·d)}
     */
    public static Tensor mergeHeads(Tensor x) {
        if (x.rank() != 4) {
            throw new ShapeException("Attention.mergeHeads", "expects (B, H, L, d)", x.shape());
        }
        return x.permute(0, 2, 1, 3).reshape(x.size(0), x.size(2), x.size(1) * x.size(3));
    }

    private static void checkQkv(Tensor q, Tensor k, Tensor v) {
        if (q.rank() != 4 || k.rank() != 4 || v.rank() != 4
                || k.size(0) != q.size(0) || v.size(0) != q.size(0)
                || k.size(1) != q.size(1) || v.size(1) != q.size(1)
                || k.size(3) != q.size(3) || v.size(2) != k.size(2)) {
            throw new ShapeException("Attention", "expects q (B, H, Lq, d), k (B, H, Lk, d) and v (B, H, Lk, dv)",
                    q.shape(), k.shape(), v.shape());
        }
    }

    private static void checkMask(Tensor mask, Shape scores, Tensor q, Tensor k) {
        boolean ok = mask.rank() == 4;
        for (int i = 0; ok && i < 4; i++) {
            ok = mask.size(i) == 1 || mask.size(i) == scores.size(i);
        }
        if (!ok) {
            throw new ShapeException("Attention", "the mask must broadcast to the scores (B, H, Lq, Lk)",
                    mask.shape(), q.shape(), k.shape());
        }
    }
}
