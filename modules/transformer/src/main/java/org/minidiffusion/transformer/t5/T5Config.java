package org.minidiffusion.transformer.t5;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
     * Returns the keys of Hugging Face's {@code config.json} of a {@code T5EncoderModel}, which
     * {@link #fromJson(Path)} reads back to an equal record. Dropout is 0: this encoder has none.
     *
     * @return an ordered map for {@link org.minidiffusion.io.Json#write}; add {@code pad_token_id} and
     *         {@code eos_token_id} for the tokenizer if wanted
     */
    public Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("architectures", List.of("T5EncoderModel"));
        m.put("model_type", "t5");
        m.put("vocab_size", vocabSize);
        m.put("d_model", dModel);
        m.put("d_kv", dKv);
        m.put("d_ff", dFf);
        m.put("num_layers", numLayers);
        m.put("num_heads", numHeads);
        m.put("relative_attention_num_buckets", relativeAttentionNumBuckets);
        m.put("relative_attention_max_distance", relativeAttentionMaxDistance);
        m.put("layer_norm_epsilon", layerNormEpsilon);
        m.put("feed_forward_proj", feedForwardProj);
        m.put("dropout_rate", 0.0);
        m.put("is_encoder_decoder", false);
        m.put("tie_word_embeddings", false);
        return m;
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
