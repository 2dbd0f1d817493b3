package org.minidiffusion.transformer.t5;

import org.minidiffusion.core.api.AbstractLayer;
import org.minidiffusion.core.api.Layer;
import org.minidiffusion.core.api.Rng;
import org.minidiffusion.core.api.Tensor;
import org.minidiffusion.nn.LayerList;
import org.minidiffusion.nn.Linear;
import org.minidiffusion.nn.RMSNorm;

/**
 * One encoder block of T5 (HF {@code T5Block}): {@code layer.0} is pre-norm self-attention and
 * {@code layer.1} the pre-norm gated-GELU feed-forward, each added to its input. T5's
 * {@code T5LayerNorm} scales by the root mean square without subtracting the mean and without a
 * bias, which is {@link RMSNorm}.
 */
final class T5Block extends AbstractLayer {
    private final SelfAttentionLayer attention;
    private final FeedForwardLayer feedForward;

    T5Block(T5Config config, boolean hasRelativeAttentionBias, Rng rng) {
        LayerList<Layer> layer = child("layer", new LayerList<>());
        this.attention = new SelfAttentionLayer(config, hasRelativeAttentionBias, rng);
        this.feedForward = new FeedForwardLayer(config, rng);
        layer.add(attention).add(feedForward);
    }

    @Override
    public Tensor forward(Tensor x) {
        throw new UnsupportedOperationException("T5Block: call T5EncoderModel.encode");
    }

    /** Returns the attention, which in block 0 owns the position bias. */
    T5Attention selfAttention() {
        return attention.selfAttention;
    }

    /**
     * Runs the block.
     *
     * @param x    {@code (B, L, D)}
     * @param bias the shared position bias plus padding mask
     * @return {@code (B, L, D)}
     */
    Tensor forward(Tensor x, Tensor bias) {
        Tensor h = x.add(attention.selfAttention.forward(attention.layerNorm.forward(x), bias));
        return h.add(feedForward.forward(h));
    }

    /** {@code layer.0} (HF {@code T5LayerSelfAttention}). */
    static final class SelfAttentionLayer extends AbstractLayer {
        private final T5Attention selfAttention;
        private final RMSNorm layerNorm;

        SelfAttentionLayer(T5Config config, boolean hasRelativeAttentionBias, Rng rng) {
            this.selfAttention = child("SelfAttention", new T5Attention(config, hasRelativeAttentionBias, rng));
            this.layerNorm = child("layer_norm", new RMSNorm(config.dModel(), config.layerNormEpsilon()));
        }

        @Override
        public Tensor forward(Tensor x) {
            throw new UnsupportedOperationException("T5LayerSelfAttention: call T5EncoderModel.encode");
        }
    }

    /** {@code layer.1} (HF {@code T5LayerFF}): the gated feed-forward of the normalised input; the block adds the residual. */
    static final class FeedForwardLayer extends AbstractLayer {
        private final GatedDense denseReluDense;
        private final RMSNorm layerNorm;

        FeedForwardLayer(T5Config config, Rng rng) {
            this.denseReluDense = child("DenseReluDense", new GatedDense(config, rng));
            this.layerNorm = child("layer_norm", new RMSNorm(config.dModel(), config.layerNormEpsilon()));
        }

        @Override
        public Tensor forward(Tensor x) { // the branch only; the block adds it to x
            return denseReluDense.forward(layerNorm.forward(x));
        }
    }

    /** Gated-GELU feed-forward (Shazeer 2020, eq. 6, GEGLU, with the tanh GELU of T5 v1.1). */
    static final class GatedDense extends AbstractLayer {
        private final Linear wi0;
        private final Linear wi1;
        private final Linear wo;

        GatedDense(T5Config config, Rng rng) {
            this.wi0 = child("wi_0", new Linear(config.dModel(), config.dFf(), false, rng));
            this.wi1 = child("wi_1", new Linear(config.dModel(), config.dFf(), false, rng));
            this.wo = child("wo", new Linear(config.dFf(), config.dModel(), false, rng));
        }

        @Override
        public Tensor forward(Tensor x) { // (B, L, D) -> (B, L, D)
            return wo.forward(wi0.forward(x).geluTanh().mul(wi1.forward(x)));
        }
    }
}
