package org.minidiffusion.transformer.t5;

import org.minidiffusion.core.api.AbstractLayer;
import org.minidiffusion.core.api.Rng;
import org.minidiffusion.core.api.Tensor;
import org.minidiffusion.nn.Attention;
import org.minidiffusion.nn.Embedding;
import org.minidiffusion.nn.Linear;

/**
 * T5's self-attention (HF {@code T5Attention}): projections without bias, scores without the
 * {@code 1/√d} scale (folded into the initialisation, Raffel et al. 2020, section 2.1 and
 * Mesh TensorFlow), plus a learned bias per head and relative-position bucket, which only the first
 * block owns; the other blocks reuse the bias it computed.
 */
final class T5Attention extends AbstractLayer {
    private final T5Config config;
    private final Linear q;
    private final Linear k;
    private final Linear v;
    private final Linear o;
    private final Embedding relativeAttentionBias; // (num_buckets, H), null except in block 0

    T5Attention(T5Config config, boolean hasRelativeAttentionBias, Rng rng) {
        this.config = config;
        int d = config.dModel();
        int inner = config.innerDim();
        this.q = child("q", new Linear(d, inner, false, rng));
        this.k = child("k", new Linear(d, inner, false, rng));
        this.v = child("v", new Linear(d, inner, false, rng));
        this.o = child("o", new Linear(inner, d, false, rng));
        this.relativeAttentionBias = hasRelativeAttentionBias
                ? child("relative_attention_bias", new Embedding(config.relativeAttentionNumBuckets(), config.numHeads(), rng))
                : null;
    }

    @Override
    public Tensor forward(Tensor x) {
        throw new UnsupportedOperationException("T5Attention: call T5EncoderModel.encode");
    }

    /**
     * Attends with the shared bias.
     *
     * @param x    {@code (B, L, D)}
     * @param bias the position bias plus the padding mask, broadcastable to {@code (B, H, L, L)}
     * @return {@code (B, L, D)}
     */
    Tensor forward(Tensor x, Tensor bias) {
        int heads = config.numHeads();
        Tensor qh = Attention.splitHeads(q.forward(x), heads); // (B, H, L, d_kv)
        Tensor kh = Attention.splitHeads(k.forward(x), heads);
        Tensor vh = Attention.splitHeads(v.forward(x), heads);
        return o.forward(Attention.mergeHeads(Attention.scaledDotProduct(qh, kh, vh, bias, 1f))); // no 1/sqrt(d)
    }

    /**
     * Returns the learned position bias of every query and key: the bias of the bucket of
     * {@code key − query} for each head.
     *
     * @param lq the queries
     * @param lk the keys
     * @return {@code (1, H, Lq, Lk)}
     */
    Tensor positionBias(int lq, int lk) {
        int[] buckets = new int[lq * lk];
        for (int i = 0; i < lq; i++) {
            for (int j = 0; j < lk; j++) {
                buckets[i * lk + j] = bucket(j - i, config.relativeAttentionNumBuckets(),
                        config.relativeAttentionMaxDistance());
            }
        }
        return relativeAttentionBias.lookup(buckets)       // (Lq·Lk, H)
                .reshape(lq, lk, config.numHeads())
                .permute(2, 0, 1).unsqueeze(0);            // (1, H, Lq, Lk)
    }

    /**
     * Returns T5's bidirectional bucket of a relative position {@code key − query}: half the
     * buckets for keys after the query, half for the others; in each half, distances below a
     * quarter of the buckets get one bucket each and longer ones share logarithmically wider
     * buckets up to {@code maxDistance}, beyond which all fall in the last (Raffel et al. 2020,
     * section 2.1; Mesh TensorFlow's {@code _relative_position_bucket}).
     *
     * <p>The logarithm is evaluated in float32 and truncated, as Hugging Face's PyTorch code does, so
     * that distances on a bucket boundary land where the checkpoints were trained.
     *
     * @param relativePosition {@code key − query}
     * @param numBuckets       {@code relative_attention_num_buckets}
     * @param maxDistance      {@code relative_attention_max_distance}
     * @return the bucket, in {@code [0, numBuckets)}
     */
    static int bucket(int relativePosition, int numBuckets, int maxDistance) {
        int half = numBuckets / 2;
        int bucket = relativePosition > 0 ? half : 0; // keys after the query use the upper half
        int distance = Math.abs(relativePosition);
        int maxExact = half / 2;
        if (distance < maxExact) {
            return bucket + distance;
        }
        float ratio = (float) distance / maxExact;
        float log = (float) Math.log(ratio) / (float) Math.log((double) maxDistance / maxExact);
        int large = maxExact + (int) (log * (half - maxExact));
        return bucket + Math.min(large, half - 1);
    }
}
