package org.minidiffusion.transformer.clip;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.minidiffusion.nn.config.ConfigJson;

/**
 * The configuration of CLIP's text encoder, with the keys of Hugging Face's {@code CLIPTextConfig}
 * ({@code config.json} of a {@code CLIPTextModel}, or the {@code text_config} of a whole
 * {@code CLIPModel}).
 *
 * @param vocabSize             {@code vocab_size}
 * @param hiddenSize            {@code hidden_size}, the model dim D
 * @param intermediateSize      {@code intermediate_size}, the MLP's hidden dim
 * @param numHiddenLayers       {@code num_hidden_layers}
 * @param numAttentionHeads     {@code num_attention_heads}, dividing D
 * @param maxPositionEmbeddings {@code max_position_embeddings}, the longest sequence (77)
 * @param hiddenAct             {@code hidden_act}: {@code quick_gelu} (OpenAI's CLIP) or {@code gelu}
 * @param layerNormEps          {@code layer_norm_eps}
 * @param projectionDim         {@code projection_dim}, the size of the text projection
 * @param eosTokenId            {@code eos_token_id}; 2 means the legacy rule (the largest id marks the end)
 */
public record ClipTextConfig(int vocabSize, int hiddenSize, int intermediateSize, int numHiddenLayers,
        int numAttentionHeads, int maxPositionEmbeddings, String hiddenAct, float layerNormEps,
        int projectionDim, int eosTokenId) {

    /** Validates the values. */
    public ClipTextConfig {
        positive("vocab_size", vocabSize);
        positive("hidden_size", hiddenSize);
        positive("intermediate_size", intermediateSize);
        positive("num_hidden_layers", numHiddenLayers);
        positive("num_attention_heads", numAttentionHeads);
        positive("max_position_embeddings", maxPositionEmbeddings);
        positive("projection_dim", projectionDim);
        if (hiddenSize % numAttentionHeads != 0) {
            throw new IllegalArgumentException("CLIP text config: hidden_size " + hiddenSize
                    + " is not divisible by num_attention_heads " + numAttentionHeads);
        }
        if (!"quick_gelu".equals(hiddenAct) && !"gelu".equals(hiddenAct)) {
            throw new IllegalArgumentException("CLIP text config: hidden_act is \"" + hiddenAct
                    + "\"; supported: \"quick_gelu\", \"gelu\"");
        }
        if (!(layerNormEps > 0)) {
            throw new IllegalArgumentException("CLIP text config: layer_norm_eps must be positive, got " + layerNormEps);
        }
        if (eosTokenId < 0 || eosTokenId >= vocabSize) {
            throw new IllegalArgumentException("CLIP text config: eos_token_id " + eosTokenId
                    + " is outside [0, vocab_size " + vocabSize + ")");
        }
    }

    private static void positive(String key, int value) {
        if (value <= 0) {
            throw new IllegalArgumentException("CLIP text config: " + key + " must be positive, got " + value);
        }
    }

    /** Returns the head dim, {@code hidden_size / num_attention_heads}. */
    public int headDim() {
        return hiddenSize / numAttentionHeads;
    }

    /**
     * Returns the keys of Hugging Face's {@code config.json} of a {@code CLIPTextModelWithProjection},
     * which {@link #fromJson(Path)} reads back to an equal record.
     *
     * @return an ordered map for {@link org.minidiffusion.io.Json#write}; add {@code bos_token_id} and
     *         {@code pad_token_id} for the tokenizer if wanted
     */
    public Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("architectures", List.of("CLIPTextModelWithProjection"));
        m.put("model_type", "clip_text_model");
        m.put("vocab_size", vocabSize);
        m.put("hidden_size", hiddenSize);
        m.put("intermediate_size", intermediateSize);
        m.put("num_hidden_layers", numHiddenLayers);
        m.put("num_attention_heads", numAttentionHeads);
        m.put("max_position_embeddings", maxPositionEmbeddings);
        m.put("hidden_act", hiddenAct);
        m.put("layer_norm_eps", layerNormEps);
        m.put("projection_dim", projectionDim);
        m.put("eos_token_id", eosTokenId);
        return m;
    }

    /**
     * Reads a {@code config.json}; absent keys take the defaults of {@code CLIPTextConfig}, and a
     * whole {@code CLIPModel} config is read from its {@code text_config}.
     *
     * @param file the file
     * @return the configuration
     * @throws IOException naming the file and the key, if it cannot be read or a value is invalid
     */
    public static ClipTextConfig fromJson(Path file) throws IOException {
        return fromJson(ConfigJson.read(file));
    }

    /**
     * Builds the configuration from parsed {@code config.json} keys.
     *
     * @param json the keys
     * @return the configuration
     * @throws IOException naming the source and the key, if a value is invalid
     */
    static ClipTextConfig fromJson(ConfigJson json) throws IOException {
        ConfigJson text = json.object("text_config");
        ConfigJson c = text == null ? json : text;
        int vocab = c.integer("vocab_size", 49408);
        int hidden = c.integer("hidden_size", 512);
        int intermediate = c.integer("intermediate_size", 2048);
        int layers = c.integer("num_hidden_layers", 12);
        int heads = c.integer("num_attention_heads", 8);
        int positions = c.integer("max_position_embeddings", 77);
        String act = c.string("hidden_act", "quick_gelu");
        float eps = c.number("layer_norm_eps", 1e-5f);
        int projection = c.integer("projection_dim", 512);
        int eos = c.integer("eos_token_id", 2);
        if (hidden % heads != 0) {
            throw c.error("num_attention_heads", heads + " does not divide hidden_size " + hidden);
        }
        if (!"quick_gelu".equals(act) && !"gelu".equals(act)) {
            throw c.error("hidden_act", "is \"" + act + "\"; supported: \"quick_gelu\", \"gelu\"");
        }
        try {
            return new ClipTextConfig(vocab, hidden, intermediate, layers, heads, positions, act, eps, projection, eos);
        } catch (IllegalArgumentException e) {
            throw c.error(null, e.getMessage());
        }
    }
}
