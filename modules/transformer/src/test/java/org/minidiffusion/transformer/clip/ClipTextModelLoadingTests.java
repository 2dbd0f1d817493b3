package org.minidiffusion.transformer.clip;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
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

/** Building CLIP from {@code config.json} and loading a safetensors file by Hugging Face's names. */
class ClipTextModelLoadingTests {
    private static final String CONFIG = """
            {"architectures": ["CLIPTextModel"], "vocab_size": 30, "hidden_size": 8, "intermediate_size": 16,
             "num_hidden_layers": 2, "num_attention_heads": 2, "max_position_embeddings": 6,
             "hidden_act": "quick_gelu", "layer_norm_eps": 1e-05, "projection_dim": 4, "eos_token_id": 29,
             "bos_token_id": 28, "torch_dtype": "float32", "transformers_version": "4.40.0"}
            """;

    @Test
    void aCheckpointWrittenUnderHuggingFaceNamesLoadsByName(@TempDir Path dir) throws IOException {
        Path config = Files.writeString(dir.resolve("config.json"), CONFIG);
        ClipTextModel source = new ClipTextModel(ClipTextConfig.fromJson(config), true, new Rng(7));
        Map<String, Tensor> state = new LinkedHashMap<>(source.stateDict());
        assertTrue(state.containsKey("text_model.embeddings.token_embedding.weight"));
        assertTrue(state.containsKey("text_model.encoder.layers.1.self_attn.q_proj.weight"));
        assertTrue(state.containsKey("text_model.encoder.layers.0.layer_norm1.bias"));
        assertTrue(state.containsKey("text_model.encoder.layers.0.mlp.fc1.weight"));
        assertTrue(state.containsKey("text_model.final_layer_norm.weight"));
        assertTrue(state.containsKey("text_projection.weight"));
        assertEquals(2 + 2 * 16 + 2 + 1, state.size(), "parameter count of a 2-layer CLIP text model with projection");
        state.put("text_model.embeddings.position_ids", Tensor.arange(6).reshape(1, 6)); // stored by older checkpoints
        Path weights = dir.resolve("model.safetensors");
        Safetensors.write(weights, state);

        ClipTextModel loaded = ClipTextModel.load(config, weights);
        int[][] ids = {{28, 3, 7, 29, 29}, {28, 29, 29, 29, 29}};
        ClipTextModel.Output expected = source.encode(ids, null);
        ClipTextModel.Output actual = loaded.encode(ids, null);
        assertArrayEquals(expected.lastHiddenState().toArray(), actual.lastHiddenState().toArray());
        assertArrayEquals(expected.textEmbeds().toArray(), actual.textEmbeds().toArray());
        // pooled at the first end token: sequence 0 at position 3, sequence 1 at position 1
        float[] h = actual.lastHiddenState().toArray();
        float[] pooled = actual.pooled().toArray();
        for (int c = 0; c < 8; c++) {
            assertEquals(h[3 * 8 + c], pooled[c]);
            assertEquals(h[(5 + 1) * 8 + c], pooled[8 + c]);
        }
    }

    @Test
    void withoutAProjectionInTheFileNoneIsBuilt(@TempDir Path dir) throws IOException {
        Path config = Files.writeString(dir.resolve("config.json"), CONFIG);
        ClipTextModel source = new ClipTextModel(ClipTextConfig.fromJson(config), false, new Rng(7));
        Path weights = dir.resolve("model.safetensors");
        Safetensors.write(weights, source.stateDict());
        assertNull(ClipTextModel.load(config, weights).encode(new int[][] {{1, 29}}, null).textEmbeds());
    }

    @Test
    void aMissingKeyNamesTheFileAndTheKey(@TempDir Path dir) throws IOException {
        Path config = Files.writeString(dir.resolve("config.json"), CONFIG);
        Map<String, Tensor> state = new LinkedHashMap<>(
                new ClipTextModel(ClipTextConfig.fromJson(config), true, new Rng(7)).stateDict());
        state.remove("text_model.encoder.layers.1.mlp.fc2.bias");
        Path weights = dir.resolve("model.safetensors");
        Safetensors.write(weights, state);
        IOException e = assertThrows(IOException.class, () -> ClipTextModel.load(config, weights));
        assertTrue(e.getMessage().contains(weights.toString()) && e.getMessage().contains("text_model.encoder.layers.1.mlp.fc2.bias"),
                e.getMessage());
    }

    @Test
    void badConfigsNameTheFileAndTheKey(@TempDir Path dir) throws IOException {
        Path act = Files.writeString(dir.resolve("act.json"), CONFIG.replace("\"quick_gelu\"", "\"relu\""));
        IOException e = assertThrows(IOException.class, () -> ClipTextConfig.fromJson(act));
        assertTrue(e.getMessage().contains("act.json") && e.getMessage().contains("\"hidden_act\""), e.getMessage());
        Path heads = Files.writeString(dir.resolve("heads.json"), CONFIG.replace("\"num_attention_heads\": 2", "\"num_attention_heads\": 3"));
        e = assertThrows(IOException.class, () -> ClipTextConfig.fromJson(heads));
        assertTrue(e.getMessage().contains("heads.json") && e.getMessage().contains("\"num_attention_heads\""), e.getMessage());
        Path type = Files.writeString(dir.resolve("type.json"), CONFIG.replace("\"hidden_size\": 8", "\"hidden_size\": \"8\""));
        e = assertThrows(IOException.class, () -> ClipTextConfig.fromJson(type));
        assertTrue(e.getMessage().contains("type.json") && e.getMessage().contains("\"hidden_size\": expected an integer"),
                e.getMessage());
    }

    @Test
    void aWholeClipConfigIsReadFromItsTextConfig(@TempDir Path dir) throws IOException {
        Path config = Files.writeString(dir.resolve("config.json"),
                "{\"architectures\": [\"CLIPModel\"], \"projection_dim\": 4, \"text_config\": " + CONFIG + "}");
        ClipTextConfig c = ClipTextConfig.fromJson(config);
        assertEquals(8, c.hiddenSize());
        assertEquals(29, c.eosTokenId());
    }

    @Test
    void tooManyTokensAreRefused() throws IOException {
        ClipTextModel model = new ClipTextModel(ClipTextConfig.fromJson(org.minidiffusion.nn.config.ConfigJson.parse(CONFIG, Path.of("config.json"))),
                false, new Rng(1));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> model.encode(new int[][] {{1, 2, 3, 4, 5, 6, 7}}, null));
        assertTrue(e.getMessage().contains("7 tokens exceed max_position_embeddings 6"), e.getMessage());
    }
}
