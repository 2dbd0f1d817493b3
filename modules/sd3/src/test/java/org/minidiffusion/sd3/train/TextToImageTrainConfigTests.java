package org.minidiffusion.sd3.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The text-to-image training settings: ranges, defaults, and the metadata round trip of a checkpoint. */
class TextToImageTrainConfigTests {
    static final TextToImageTrainConfig.Mmdit MMDIT = new TextToImageTrainConfig.Mmdit(4, 4, 32, 2, "rms_norm");
    static final TextToImageTrainConfig.T5 T5 = new TextToImageTrainConfig.T5(2, 128, 4, 256, 300);

    private static TextToImageTrainConfig sample() {
        return new TextToImageTrainConfig(1234, 48, 7.3e-4f, 100, 0.01f, 1f, 0.999f, 0.1, 0.25, 1.5, -42L, MMDIT, T5,
                16, 12);
    }

    @Test
    void metadataRoundTripIsExact() {
        TextToImageTrainConfig c = sample();
        assertEquals(c, TextToImageTrainConfig.fromMetadata(c.toMetadata(), "m"));
        TextToImageTrainConfig noQk = new TextToImageTrainConfig(10, 2, 1e-3f, 0, 0f, 0f, 0f, 0, 0, 1, 7,
                new TextToImageTrainConfig.Mmdit(1, 2, 16, 1, null), T5, 8, 8);
        assertEquals("none", noQk.toMetadata().get("t2i_train.mmdit.qk_norm"));
        assertEquals(noQk, TextToImageTrainConfig.fromMetadata(noQk.toMetadata(), "m"));
    }

    @Test
    void defaultsAreSd3s() {
        TextToImageTrainConfig c = TextToImageTrainConfig.of(3000, 64, 1e-3f, 5, MMDIT, T5);
        assertEquals(new TextToImageTrainConfig(3000, 64, 1e-3f, 150, 0.01f, 1f, 0.999f, 0.1, 0.0, 1.0, 5, MMDIT, T5, 16,
                16), c);
        assertEquals(200, TextToImageTrainConfig.of(100_000, 64, 1e-3f, 5, MMDIT, T5).warmupSteps());
        assertEquals(150, c.withSteps(5000).warmupSteps());
        assertEquals(20, c.withSteps(20).warmupSteps());
        assertEquals(8, c.withLengths(8, 10).clipLength());
        assertEquals(10, c.withLengths(8, 10).t5Length());
        assertEquals(128, MMDIT.width());
    }

    @ParameterizedTest(name = "{0} = {1}")
    @CsvSource(delimiter = '|', value = {
        "steps                   | 0        | must be an integer in [1, 2147483647]",
        "batch_size              | 1e3      | must be an integer in [1, 65536]",
        "learning_rate           | 0        | must be a finite number in (0, 1.0]",
        "learning_rate           | NaN      | must be a finite number in (0, 1.0]",
        "warmup_steps            | 1235     | must be an integer in [0, 1234]",
        "grad_clip               | Infinity | must be a finite number in [0, 1000000.0]",
        "ema_decay               | 1        | must be a finite number in [0, 1)",
        "prompt_dropout          | -0.1     | must be a finite number in [0, 1)",
        "logit_normal_s          | 0        | must be a finite number in (0, 10]",
        "seed                    | x        | must be an integer in",
        "mmdit.num_layers        | 0        | must be an integer in [1, 1048576]",
        "mmdit.patch_size        | 65       | must be an integer in [1, 64]",
        "mmdit.qk_norm           | layer    | must be 'none' or 'rms_norm'",
        "t5.vocab_size           | 2        | must be an integer in [3, 1048576]",
        "clip_length             | 2        | must be an integer in [3, 512]",
    })
    void badMetadataIsNamed(String key, String value, String problem) {
        Map<String, String> m = new LinkedHashMap<>(sample().toMetadata());
        m.put("t2i_train." + key, value);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TextToImageTrainConfig.fromMetadata(m, "f"));
        assertTrue(e.getMessage().startsWith("f: the metadata key 't2i_train." + key + "' is '" + value + "'; it "
                + problem), e.getMessage());
        m.remove("t2i_train." + key);
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
                () -> TextToImageTrainConfig.fromMetadata(m, "f"));
        assertEquals("f: the metadata key 't2i_train." + key + "' is missing", missing.getMessage());
    }

    @Test
    void inconsistentValuesAreNamed() {
        Map<String, String> m = new LinkedHashMap<>(sample().toMetadata());
        m.put("t2i_train.t5.num_heads", "3");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TextToImageTrainConfig.fromMetadata(m, "f"));
        assertEquals("f: TextToImageTrainConfig: t5.d_model must be divisible by t5.num_heads = 3, got 128", e.getMessage());
    }

    @Test
    void outOfRangeSettingsAreRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new TextToImageTrainConfig(10, 4,
                1e-3f, 11, 0f, 1f, 0.9f, 0.1, 0, 1, 0, MMDIT, T5, 16, 16));
        assertEquals("TextToImageTrainConfig: warmup_steps must be in [0, steps = 10], got 11", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new TextToImageTrainConfig(10, 4, 1e-3f, 1, 0f, 1f, 0.9f,
                Double.NaN, 0, 1, 0, MMDIT, T5, 16, 16));
        assertEquals("TextToImageTrainConfig: prompt_dropout must be a finite number in [0, 1), got NaN", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new TextToImageTrainConfig.Mmdit(2, 3, 3, 2, null));
        assertEquals("TextToImageTrainConfig: mmdit.width (num_attention_heads x attention_head_dim) must be a multiple"
                + " of 4 for the 2-D position table, got 9", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new TextToImageTrainConfig.Mmdit(2, 4, 8, 2, "layer_norm"));
        assertEquals("TextToImageTrainConfig: mmdit.qk_norm must be none or \"rms_norm\", got \"layer_norm\"",
                e.getMessage());
    }
}
