package org.minidiffusion.transformer.t5;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.minidiffusion.core.api.Rng;
import org.minidiffusion.core.api.Tensor;
import org.minidiffusion.io.Safetensors;

/** Building T5 from {@code config.json} and loading a safetensors file by Hugging Face's names. */
class T5EncoderModelLoadingTests {
    private static final String CONFIG = """
            {"architectures": ["T5EncoderModel"], "vocab_size": 20, "d_model": 8, "d_kv": 4, "d_ff": 12,
             "num_layers": 2, "num_decoder_layers": 2, "num_heads": 2, "relative_attention_num_buckets": 32,
             "relative_attention_max_distance": 128, "layer_norm_epsilon": 1e-06, "feed_forward_proj": "gated-gelu",
             "dropout_rate": 0.1, "is_encoder_decoder": true, "model_type": "t5", "tie_word_embeddings": false}
            """;

    @Test
    void aCheckpointWrittenUnderHuggingFaceNamesLoadsByName(@TempDir Path dir) throws IOException {
        Path config = Files.writeString(dir.resolve("config.json"), CONFIG);
        T5EncoderModel source = new T5EncoderModel(T5Config.fromJson(config), new Rng(3));
        Map<String, Tensor> state = new LinkedHashMap<>(source.stateDict());
        for (String key : new String[] {"shared.weight", "encoder.block.0.layer.0.SelfAttention.q.weight",
            "encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight", "encoder.block.0.layer.0.layer_norm.weight",
            "encoder.block.1.layer.1.DenseReluDense.wi_0.weight", "encoder.block.1.layer.1.DenseReluDense.wi_1.weight",
            "encoder.block.1.layer.1.DenseReluDense.wo.weight", "encoder.final_layer_norm.weight"}) {
            assertTrue(state.containsKey(key), key);
        }
        assertTrue(!state.containsKey("encoder.block.1.layer.0.SelfAttention.relative_attention_bias.weight"),
                "only block 0 owns the position bias");
        assertEquals(1 + (6 + 4) + (5 + 4) + 1, state.size(), "parameter count of a 2-block T5 encoder");
        // a T5EncoderModel file may hold the embedding only under its tied name
        state.put("encoder.embed_tokens.weight", state.remove("shared.weight"));
        Path weights = dir.resolve("model.safetensors");
        Safetensors.write(weights, state);

        T5EncoderModel loaded = T5EncoderModel.load(config, weights);
        int[][] ids = {{4, 9, 1, 0}, {7, 1, 0, 0}};
        int[][] mask = {{1, 1, 1, 1}, {1, 1, 0, 0}};
        assertArrayEquals(source.encode(ids, mask).toArray(), loaded.encode(ids, mask).toArray());
    }

    @Test
    void paddingDoesNotChangeTheTokensBeforeIt() throws IOException {
        T5EncoderModel model = new T5EncoderModel(T5Config.fromJson(org.minidiffusion.nn.config.ConfigJson.parse(CONFIG,
                Path.of("config.json"))), new Rng(5));
        float[] alone = model.encode(new int[][] {{4, 9}}, null).toArray();
        float[] padded = model.encode(new int[][] {{4, 9, 0, 0, 0}}, new int[][] {{1, 1, 0, 0, 0}}).toArray();
        for (int i = 0; i < alone.length; i++) {
            assertEquals(alone[i], padded[i], 1e-5f, "feature " + i);
        }
    }

    @Test
    void aMisshapenKeyNamesTheFileAndTheKey(@TempDir Path dir) throws IOException {
        Path config = Files.writeString(dir.resolve("config.json"), CONFIG);
        Map<String, Tensor> state = new LinkedHashMap<>(new T5EncoderModel(T5Config.fromJson(config), new Rng(3)).stateDict());
        state.put("encoder.block.0.layer.1.DenseReluDense.wo.weight", Tensor.zeros(8, 10));
        Path weights = dir.resolve("model.safetensors");
        Safetensors.write(weights, state);
        IOException e = assertThrows(IOException.class, () -> T5EncoderModel.load(config, weights));
        assertTrue(e.getMessage().contains(weights.toString())
                && e.getMessage().contains("encoder.block.0.layer.1.DenseReluDense.wo.weight"), e.getMessage());
    }

    @Test
    void badConfigsNameTheFileAndTheKey(@TempDir Path dir) throws IOException {
        Path relu = Files.writeString(dir.resolve("relu.json"), CONFIG.replace("\"gated-gelu\"", "\"relu\""));
        IOException e = assertThrows(IOException.class, () -> T5Config.fromJson(relu));
        assertTrue(e.getMessage().contains("relu.json") && e.getMessage().contains("\"feed_forward_proj\""), e.getMessage());
        Path negative = Files.writeString(dir.resolve("negative.json"), CONFIG.replace("\"d_kv\": 4", "\"d_kv\": -4"));
        e = assertThrows(IOException.class, () -> T5Config.fromJson(negative));
        assertTrue(e.getMessage().contains("negative.json") && e.getMessage().contains("d_kv must be positive"), e.getMessage());
        Path broken = Files.writeString(dir.resolve("broken.json"), "{\"d_model\": 8,");
        e = assertThrows(IOException.class, () -> T5Config.fromJson(broken));
        assertTrue(e.getMessage().contains("broken.json"), e.getMessage());
    }

    @Test
    void bucketsOfT5sOwnConfiguration() {
        // distances below 8 get their own bucket; keys after the query use the upper 16
        assertEquals(0, T5Attention.bucket(0, 32, 128));
        assertEquals(7, T5Attention.bucket(-7, 32, 128));
        assertEquals(16 + 7, T5Attention.bucket(7, 32, 128));
        assertEquals(15, T5Attention.bucket(-1000, 32, 128));
        assertEquals(31, T5Attention.bucket(1000, 32, 128));
    }
}
