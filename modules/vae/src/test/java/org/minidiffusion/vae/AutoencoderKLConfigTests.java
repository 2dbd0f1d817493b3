package org.minidiffusion.vae;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Collections;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.minidiffusion.nn.config.ConfigFileException;

/** Reading diffusers' {@code config.json}: defaults for missing keys, and errors that name the file and the key. */
class AutoencoderKLConfigTests {
    private static final Path SOURCE = Path.of("vae/config.json");

    private static Path resource(String name) throws URISyntaxException {
        return Path.of(AutoencoderKLConfigTests.class.getResource("/configs/" + name).toURI());
    }

    /** Stable Diffusion 1.5's file predates scaling_factor and the quant-conv flags: diffusers' defaults apply. */
    @Test
    void stableDiffusion15() throws Exception {
        AutoencoderKLConfig c = AutoencoderKLConfig.fromJson(resource("sd15_vae_config.json"));
        AutoencoderKLConfig expected = new AutoencoderKLConfig(3, 3, Collections.nCopies(4, "DownEncoderBlock2D"),
                Collections.nCopies(4, "UpDecoderBlock2D"), new int[] {128, 256, 512, 512}, 2, "silu", 4, 32, 512,
                0.18215f, 0f, true, true, true);
        assertEquals(expected, c);
        assertEquals(8, c.downsamplingFactor());
    }

    @Test
    void stableDiffusion3() throws Exception {
        AutoencoderKLConfig c = AutoencoderKLConfig.fromJson(resource("sd3_vae_config.json"));
        assertEquals(16, c.latentChannels());
        assertEquals(1.5305f, c.scalingFactor());
        assertEquals(0.0609f, c.shiftFactor());
        assertFalse(c.useQuantConv());
        assertFalse(c.usePostQuantConv());
        assertTrue(c.midBlockAddAttention());
        assertArrayEquals(new int[] {128, 256, 512, 512}, c.blockOutChannels());
        assertEquals(1024, c.sampleSize());
    }

    @Test
    void nullShiftFactorIsZeroAndAnEmptyObjectIsAllDefaults() throws Exception {
        assertEquals(0f, AutoencoderKLConfig.fromJson("{\"shift_factor\": null}", SOURCE).shiftFactor());
        AutoencoderKLConfig d = AutoencoderKLConfig.fromJson("{}", SOURCE);
        assertArrayEquals(new int[] {64}, d.blockOutChannels());
        assertEquals(1, d.layersPerBlock());
        assertEquals(32, d.normNumGroups());
        assertEquals(0.18215f, d.scalingFactor());
    }

    /** Each bad file names the file and, where there is one, the key. */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "{\"block_out_channels\": 64}                     | block_out_channels | expected a non-empty array of integers, got 64",
        "{\"block_out_channels\": [64, \"x\"]}            | block_out_channels | element 1: expected an integer, got \"x\"",
        "{\"layers_per_block\": 2.5}                      | layers_per_block   | expected an integer, got 2.5",
        "{\"use_quant_conv\": \"yes\"}                    | use_quant_conv     | expected true or false, got \"yes\"",
        "{\"scaling_factor\": null}                       | scaling_factor     | expected a number, got null",
        "{\"latent_channel\": 4}                          | latent_channel     | is not a key of AutoencoderKL's config",
        "{\"_class_name\": \"UNet2DConditionModel\"}      | _class_name        | this is the config of another model",
        "{\"down_block_types\": [\"DownBlock2D\"]}        | -                  | down_block_types[0] is \"DownBlock2D\"; only \"DownEncoderBlock2D\" is supported",
        "{\"block_out_channels\": [64, 80], \"norm_num_groups\": 32, \"down_block_types\": [\"DownEncoderBlock2D\", \"DownEncoderBlock2D\"], \"up_block_types\": [\"UpDecoderBlock2D\", \"UpDecoderBlock2D\"]} | - | block_out_channels[1] = 80 is not a positive multiple of norm_num_groups = 32",
        "{\"block_out_channels\": [64, 128], \"down_block_types\": [\"DownEncoderBlock2D\"]} | -                  | down_block_types has 1 entries but block_out_channels has 2",
        "{\"act_fn\": \"gelu\"}                           | -                  | act_fn \"gelu\" is not supported",
        "{\"in_channels\": 3,}                            | -                  | malformed JSON at line 1, column 19",
        "[1, 2]                                           | -                  | expected a JSON object, got an array",
        "{\"in_channels\": 3, \"in_channels\": 4}         | -                  | duplicate key \"in_channels\"",
    })
    void badValuesAreNamed(String json, String key, String problem) {
        ConfigFileException e = assertThrows(ConfigFileException.class, () -> AutoencoderKLConfig.fromJson(json, SOURCE));
        assertTrue(e.getMessage().startsWith(SOURCE + ": "), e.getMessage());
        assertTrue(e.getMessage().contains(problem), e.getMessage());
        if (!key.equals("-")) {
            assertEquals(key, e.key());
            assertTrue(e.getMessage().contains("key \"" + key + "\""), e.getMessage());
        }
        assertEquals(SOURCE, e.file());
    }

    @Test
    void aFileIsNamedInItsErrors(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("config.json");
        Files.writeString(file, "{\"norm_num_groups\": \"32\"}");
        ConfigFileException e = assertThrows(ConfigFileException.class, () -> AutoencoderKLConfig.fromJson(file));
        assertEquals(file + ": key \"norm_num_groups\": expected an integer, got \"32\"", e.getMessage());
        assertThrows(NoSuchFileException.class, () -> AutoencoderKLConfig.fromJson(dir.resolve("missing.json")));
        Files.write(file, new byte[] {'{', (byte) 0xC3, '}'});
        ConfigFileException utf = assertThrows(ConfigFileException.class, () -> AutoencoderKLConfig.fromJson(file));
        assertTrue(utf.getMessage().contains("not valid UTF-8"), utf.getMessage());
    }

    /** toJson writes diffusers' config.json, which fromJson reads back to an equal config, floats exactly. */
    @ParameterizedTest(name = "{0}")
    @CsvSource({"sd15_vae_config.json", "sd3_vae_config.json"})
    void toJsonRoundTrips(String file) throws Exception {
        AutoencoderKLConfig c = AutoencoderKLConfig.fromJson(resource(file));
        assertEquals(c, AutoencoderKLConfig.fromJson(c.toJson(), SOURCE));
        AutoencoderKLConfig scaled = AutoencoderKLConfig.of(1, new int[] {32, 64, 64}, 1, 4, 32, 32)
                .withLatentScaling(1f / 3f, -1.2345678e-7f);
        String json = scaled.toJson();
        assertTrue(json.startsWith("{\n  \"_class_name\": \"AutoencoderKL\",\n  \"in_channels\": 1,"), json);
        assertTrue(json.contains("\"block_out_channels\": [32, 64, 64],"), json);
        assertTrue(json.contains("\"down_block_types\": [\"DownEncoderBlock2D\", \"DownEncoderBlock2D\", \"DownEncoderBlock2D\"],"),
                json);
        AutoencoderKLConfig back = AutoencoderKLConfig.fromJson(json, SOURCE);
        assertEquals(scaled, back);
        assertEquals(Float.floatToIntBits(1f / 3f), Float.floatToIntBits(back.scalingFactor()));
        assertEquals(Float.floatToIntBits(-1.2345678e-7f), Float.floatToIntBits(back.shiftFactor()));
        assertEquals(32, back.sampleSize());
    }

    /** parameterCount, counted from the config alone, equals the parameters of the built model. */
    @ParameterizedTest(name = "block_out_channels {0}, layers {1}, latent {2}, quant {4}, attention {5}")
    @CsvSource(delimiter = '|', value = {
        "8        | 1 | 4 | 4 | true  | true",
        "4 8 8    | 1 | 4 | 4 | true  | true",
        "8 8 16   | 2 | 3 | 4 | false | true",
        "4 8 8 16 | 1 | 2 | 2 | true  | false",
    })
    void parameterCountMatchesTheModel(String channels, int layers, int latent, int groups, boolean quant,
                                       boolean attention) {
        int[] ch = java.util.Arrays.stream(channels.trim().split(" +")).mapToInt(Integer::parseInt).toArray();
        AutoencoderKLConfig c = new AutoencoderKLConfig(1, 2, Collections.nCopies(ch.length, "DownEncoderBlock2D"),
                Collections.nCopies(ch.length, "UpDecoderBlock2D"), ch, layers, "silu", latent, groups, 16, 1f, 0f,
                quant, quant, attention);
        long built = new AutoencoderKL(c, new org.minidiffusion.core.api.Rng(0)).parameters().values().stream()
                .mapToLong(p -> p.shape().numel()).sum();
        assertEquals(built, c.parameterCount());
    }

    @Test
    void parameterCountSaturatesInsteadOfOverflowing() {
        int big = 1 << 30;
        AutoencoderKLConfig c = AutoencoderKLConfig.of(1, new int[] {big, big}, 1, 4, 1, 32);
        assertEquals(Long.MAX_VALUE, c.parameterCount());
    }
}
