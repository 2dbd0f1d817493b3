package org.minidiffusion.transformer.t5;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.minidiffusion.core.api.Parameter;
import org.minidiffusion.core.api.Rng;
import org.minidiffusion.core.api.Tensor;
import org.minidiffusion.nn.config.ConfigJson;

/** Saving T5 in Hugging Face's layout and initialising it for training from scratch. */
class T5EncoderModelSaveTests {
    private static final T5Config SMALL = new T5Config(20, 8, 4, 12, 2, 2, 32, 128, 1e-6f, T5Config.GATED_GELU);

    @Test
    void saveThenLoadGivesTheSameConfigWeightsAndOutputs(@TempDir Path dir) throws IOException {
        T5EncoderModel model = new T5EncoderModel(SMALL, new Rng(1)).initialiseForTraining(new Rng(2));
        model.save(dir.resolve("text_encoder_3"), Map.of("pad_token_id", 0, "eos_token_id", 1));
        Path config = dir.resolve("text_encoder_3/config.json");
        Path weights = dir.resolve("text_encoder_3/model.safetensors");
        assertEquals(SMALL, T5Config.fromJson(config));
        String json = Files.readString(config);
        assertTrue(json.contains("\"T5EncoderModel\"") && json.contains("\"pad_token_id\": 0")
                && json.contains("\"d_kv\": 4") && json.contains("\"feed_forward_proj\": \"gated-gelu\""), json);
        try (Stream<Path> files = Files.list(weights.getParent())) {
            assertFalse(files.anyMatch(p -> p.getFileName().toString().endsWith(".tmp")), "no temporary file is left");
        }

        T5EncoderModel loaded = T5EncoderModel.load(config, weights);
        Map<String, Tensor> expected = model.stateDict();
        assertEquals(expected.keySet(), loaded.stateDict().keySet());
        expected.forEach((key, value) -> assertArrayEquals(value.toArray(), loaded.stateDict().get(key).toArray(), key));
        int[][] ids = {{4, 9, 1, 0}, {7, 1, 0, 0}};
        int[][] mask = {{1, 1, 1, 0}, {1, 1, 0, 0}};
        assertArrayEquals(model.encode(ids, mask).toArray(), loaded.encode(ids, mask).toArray());
    }

    @Test
    void toJsonReadsBackToAnEqualConfig() throws IOException {
        T5Config config = new T5Config(100, 32, 8, 64, 3, 4, 16, 64, 1e-5f, T5Config.GATED_GELU);
        String json = org.minidiffusion.io.Json.write(config.toJson());
        assertEquals(config, T5Config.fromJson(ConfigJson.parse(json, Path.of("config.json"))));
    }

    @Test
    void aTruncatedWeightsFileIsNamedOnLoad(@TempDir Path dir) throws IOException {
        new T5EncoderModel(SMALL, new Rng(1)).save(dir);
        Path weights = dir.resolve("model.safetensors");
        byte[] bytes = Files.readAllBytes(weights);
        Files.write(weights, java.util.Arrays.copyOf(bytes, bytes.length / 2));
        IOException e = assertThrows(IOException.class, () -> T5EncoderModel.load(dir.resolve("config.json"), weights));
        assertTrue(e.getMessage().contains(weights.toString()), e.getMessage());
    }

    /**
     * Each parameter's sample standard deviation is that of Hugging Face's
     * {@code T5PreTrainedModel._init_weights}, within four standard errors (at least 5%), for
     * d_model 64, d_kv 8, 4 heads, d_ff 256, where the rules give different stds, so a swapped rule
     * fails; norms are 1.
     */
    @Test
    void initialisationFollowsHuggingFaceT5() {
        T5Config config = new T5Config(500, 64, 8, 256, 2, 4, 32, 128, 1e-6f, T5Config.GATED_GELU);
        T5EncoderModel model = new T5EncoderModel(config, new Rng(0)).initialiseForTraining(new Rng(7));
        Map<String, Double> expectedStd = Map.of(
                "shared.weight", 1.0,
                "encoder.block.0.layer.0.SelfAttention.q.weight", Math.pow(64 * 8, -0.5),
                "encoder.block.1.layer.0.SelfAttention.k.weight", Math.pow(64, -0.5),
                "encoder.block.1.layer.0.SelfAttention.v.weight", Math.pow(64, -0.5),
                "encoder.block.0.layer.0.SelfAttention.o.weight", Math.pow(4 * 8, -0.5),
                "encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight", Math.pow(64, -0.5),
                "encoder.block.1.layer.1.DenseReluDense.wi_0.weight", Math.pow(64, -0.5),
                "encoder.block.1.layer.1.DenseReluDense.wi_1.weight", Math.pow(64, -0.5),
                "encoder.block.0.layer.1.DenseReluDense.wo.weight", Math.pow(256, -0.5));
        Map<String, Parameter> params = model.parameters();
        expectedStd.forEach((name, std) -> {
            float[] v = params.get(name).value().toArray();
            double sum = 0;
            double sq = 0;
            for (float x : v) {
                sum += x;
                sq += (double) x * x;
            }
            double mean = sum / v.length;
            double sample = Math.sqrt(sq / v.length - mean * mean);
            double relative = Math.max(0.05, 4 / Math.sqrt(2.0 * v.length)); // std error of a std: 1/sqrt(2n)
            assertEquals(std, sample, relative * std, name + ": std");
            assertEquals(0, mean, 4 * std / Math.sqrt(v.length), name + ": mean");
        });
        params.forEach((name, p) -> {
            if (name.endsWith("layer_norm.weight")) {
                for (float x : p.value().toArray()) {
                    assertEquals(1f, x, name);
                }
            }
        });
        T5EncoderModel again = new T5EncoderModel(config, new Rng(0)).initialiseForTraining(new Rng(7));
        assertArrayEquals(params.get("shared.weight").value().toArray(),
                again.parameters().get("shared.weight").value().toArray(), "the same seed gives the same weights");
    }
}
