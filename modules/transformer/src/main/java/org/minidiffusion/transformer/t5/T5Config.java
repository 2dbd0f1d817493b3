package org.minidiffusion.transformer.t5;

import java.io.IOException;
import java.nio.file.Path;
import org.minidiffusion.nn.config.ConfigJson;

/**
 * The configuration of T5's encoder, with the keys of Hugging Face's {@code T5Config}.
 *
 * @param vocabSize                     {@code vocab_size}
 * @param dModel                        {@code d_model}, the model dim
 * @param dKv                           {@code d_kv}, the head dim
 * @param dFf                           {@code d_ff}, the feed-forward dim
 * @param numLayers                     {@code num_layers}, the encoder blocks
 * @param numHeads                      {@code num_heads}
 * @param relativeAttentionNumBuckets   {@code relative_attention_num_buckets}, such as 32
 * @param relativeAttentionMaxDistance  {@code relative_attention_max_distance}, such as 128
 * @param layerNormEpsilon              {@code layer_norm_epsilon}
 * @param feedForwardProj               {@code feed_forward_proj}; only {@code gated-gelu} (v1.1) is supported
 */
public record T5Config(int vocabSize, int dModel, int dKv, int dFf, int numLayers, int numHeads,
        int relativeAttentionNumBuckets, int relativeAttentionMaxDistance, float layerNormEpsilon,
        String feedForwardProj) {
    /** The feed-forward of T5 v1.1 and of the T5 encoders of SD3 and Flux. */
    public static final String GATED_GELU = "gated-gelu";

    /** Validates the values. */
    public T5Config {
        positive("vocab_size", vocabSize);
        positive("d_model", dModel);
        positive("d_kv", dKv);
        positive("d_ff", dFf);
        positive("num_layers", numLayers);
        positive("num_heads", numHeads);
        if (relativeAttentionNumBuckets < 4) {
            throw new IllegalArgumentException("T5 config: relative_attention_num_buckets must be at least 4, got "
                    + relativeAttentionNumBuckets);
        }
        if (relativeAttentionMaxDistance <= relativeAttentionNumBuckets / 4) {
            throw new IllegalArgumentException("T5 config: relative_attention_max_distance " + relativeAttentionMaxDistance
                    + " must exceed relative_attention_num_buckets / 4 = " + relativeAttentionNumBuckets / 4);
        }
        if (!(layerNormEpsilon > 0)) {
            throw new IllegalArgumentException("T5 config: layer_norm_epsilon must be positive, got " + layerNormEpsilon);
        }
        if (!GATED_GELU.equals(feedForwardProj)) {
            throw new IllegalArgumentException("T5 config: feed_forward_proj is \"" + feedForwardProj
                    + "\"; only \"" + GATED_GELU + "\" (T5 v1.1) is supported");
        }
    }

    private static void positive(String key, int value) {
        if (value <= 0) {
            throw new IllegalArgumentException("T5 config: " + key + " must be positive, got " + value);
        }
    }

    /** Returns the attention's inner dim, {@code num_heads · d_kv}. */
    public int innerDim() {
        return numHeads * dKv;
    }

    /**
     * Reads a {@code config.json}; absent keys take the defaults of {@code T5Config}.
     *
     * @param file the file
     * @return the configuration
     * @throws IOException naming the file and the key, if it cannot be read or a value is invalid
     */
    public static T5Config fromJson(Path file) throws IOException {
        return fromJson(ConfigJson.read(file));
    }

    /**
     * Builds the configuration from parsed {@code config.json} keys.
     *
     * @param c the keys
     * @return the configuration
     * @throws IOException naming the source and the key, if a value is invalid
     */
    static T5Config fromJson(ConfigJson c) throws IOException {
        String ff = c.string("feed_forward_proj", "relu");
        if (!GATED_GELU.equals(ff)) {
            throw c.error("feed_forward_proj", "is \"" + ff + "\"; only \"" + GATED_GELU + "\" (T5 v1.1) is supported");
        }
        try {
            return new T5Config(c.integer("vocab_size", 32128), c.integer("d_model", 512), c.integer("d_kv", 64),
                    c.integer("d_ff", 2048), c.integer("num_layers", 6), c.integer("num_heads", 8),
                    c.integer("relative_attention_num_buckets", 32), c.integer("relative_attention_max_distance", 128),
                    c.number("layer_norm_epsilon", 1e-6f), ff);
        } catch (IllegalArgumentException e) {
            throw c.error(null, e.getMessage());
        }
    }
}
