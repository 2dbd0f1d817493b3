package org.minidiffusion.dit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.minidiffusion.nn.config.ConfigFileException;

/** Reading diffusers' {@code config.json} of {@code SD3Transformer2DModel}, and its errors. */
class SD3Transformer2DModelConfigTests {
    /** The transformer config of Stable Diffusion 3 Medium as published with its diffusers weights. */
    static final String SD3_MEDIUM = """
            {
              "_class_name": "SD3Transformer2DModel",
              "_diffusers_version": "0.29.0.dev0",
              "attention_head_dim": 64,
              "caption_projection_dim": 1536,
              "in_channels": 16,
              "joint_attention_dim": 4096,
              "num_attention_heads": 24,
              "num_layers": 24,
              "out_channels": 16,
              "patch_size": 2,
              "pooled_projection_dim": 2048,
              "pos_embed_max_size": 192,
              "sample_size": 128
            }
            """;

    private static final Path FILE = Path.of("config.json");

    @Test
    void readsSd3Medium() throws IOException {
        SD3Transformer2DModelConfig c = SD3Transformer2DModelConfig.fromJson(SD3_MEDIUM, FILE);
        assertEquals(new SD3Transformer2DModelConfig(128, 2, 16, 24, 64, 24, 4096, 1536, 2048, 16, 192, null), c);
        assertEquals(1536, c.innerDim());
        assertEquals(false, c.rmsQkNorm());
    }

    @Test
    void readsSd35Keys() throws IOException {
        String json = SD3_MEDIUM.replace("\"sample_size\": 128", "\"sample_size\": 128, \"qk_norm\": \"rms_norm\", "
                + "\"dual_attention_layers\": [], \"out_channels\": null").replace("\"out_channels\": 16,", "");
        SD3Transformer2DModelConfig c = SD3Transformer2DModelConfig.fromJson(json, FILE);
        assertTrue(c.rmsQkNorm());
        assertEquals(16, c.outChannels(), "out_channels null means in_channels");
    }

    @ParameterizedTest
    @CsvSource({"192, ", "0, rms_norm"})
    void toJsonReadsBackToAnEqualConfig(int posEmbedMaxSize, String qkNorm) throws IOException {
        SD3Transformer2DModelConfig c = new SD3Transformer2DModelConfig(8, 2, 4, 3, 8, 2, 12, 16, 6, 4, posEmbedMaxSize, qkNorm);
        String json = c.toJson();
        assertEquals(c, SD3Transformer2DModelConfig.fromJson(json, FILE), json);
        assertTrue(json.contains("\"_class_name\": \"SD3Transformer2DModel\""), json);
    }

    @Test
    void readsAFile(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("config.json");
        Files.writeString(file, SD3_MEDIUM);
        assertEquals(24, SD3Transformer2DModelConfig.fromJson(file).numLayers());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "\"num_layers\": 24|\"num_layers\": \"24\"|key \"num_layers\": expected an integer, got \"24\"",
        "\"num_layers\": 24|\"num_layers\": 0|num_layers must be positive, got 0",
        "\"caption_projection_dim\": 1536|\"caption_projection_dim\": 1152|caption_projection_dim 1152 must equal num_attention_heads x attention_head_dim = 1536",
        "\"sample_size\": 128|\"sample_size\": 128, \"qk_norm\": \"layer_norm\"|qk_norm \"layer_norm\" is not supported",
        "\"sample_size\": 128|\"sample_size\": 128, \"dual_attention_layers\": [0, 1]|key \"dual_attention_layers\": is an array; the dual-attention blocks",
        "\"sample_size\": 128|\"sample_size\": 128, \"hidden_size\": 8|key \"hidden_size\": is not a key of SD3Transformer2DModel's config",
        "\"SD3Transformer2DModel\"|\"AutoencoderKL\"|key \"_class_name\": is \"AutoencoderKL\", not \"SD3Transformer2DModel\"",
        "\"pos_embed_max_size\": 192|\"pos_embed_max_size\": 32|pos_embed_max_size 32 is smaller than sample_size / patch_size = 64",
        "\"sample_size\": 128|\"sample_size\": 128,|config.json: ",
    })
    void badValuesNameTheFileAndKey(String from, String to, String expected) {
        ConfigFileException e = assertThrows(ConfigFileException.class,
                () -> SD3Transformer2DModelConfig.fromJson(SD3_MEDIUM.replace(from, to), FILE));
        assertTrue(e.getMessage().startsWith("config.json: "), e.getMessage());
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }
}
