package org.minidiffusion.vae;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The training settings: ranges, and the metadata round trip of a checkpoint. */
class VaeTrainConfigTests {
    @Test
    void metadataRoundTripIsExact() {
        VaeTrainConfig c = new VaeTrainConfig(1234, 48, 7.3e-4f, 100, 0.01f, 1f, 1.0e-6f, -42L);
        assertEquals(c, VaeTrainConfig.fromMetadata(c.toMetadata(), "m"));
        assertEquals(new VaeTrainConfig(2000, 32, 1e-3f, 200, 0f, 1f, 1e-6f, 0), VaeTrainConfig.of(2000, 32, 1e-3f, 1e-6f, 0));
        assertEquals(5, VaeTrainConfig.of(50, 32, 1e-3f, 1e-6f, 0).warmupSteps());
        assertEquals(5, c.withSteps(5).warmupSteps());
        assertEquals(100, c.withSteps(5000).warmupSteps());
    }

    @ParameterizedTest(name = "{0} = {1}")
    @CsvSource(delimiter = '|', value = {
        "steps         | 0     | must be an integer in [1, 2147483647]",
        "batch_size    | 1e3   | must be an integer in [1, 65536]",
        "learning_rate | 0     | must be a finite number in (0, 1.0]",
        "learning_rate | 2     | must be a finite number in [0.0, 1.0]",
        "warmup_steps  | 1235  | must be an integer in [0, 1234]",
        "beta          | -1    | must be a finite number in [0.0, 1000000.0]",
        "grad_clip     | Infinity | must be a finite number in [0.0, 1000000.0]",
        "seed          | x     | must be an integer in",
    })
    void badMetadataIsNamed(String key, String value, String problem) {
        Map<String, String> m = new LinkedHashMap<>(new VaeTrainConfig(1234, 48, 7.3e-4f, 100, 0.01f, 1f, 1e-6f, 0)
                .toMetadata());
        m.put("vae_train." + key, value);
        InvalidTrainingStateException e = assertThrows(InvalidTrainingStateException.class,
                () -> VaeTrainConfig.fromMetadata(m, "f"));
        assertTrue(e.getMessage().startsWith("f: 'vae_train." + key + "' = '" + value + "': " + problem), e.getMessage());
        m.remove("vae_train." + key);
        InvalidTrainingStateException missing = assertThrows(InvalidTrainingStateException.class,
                () -> VaeTrainConfig.fromMetadata(m, "f"));
        assertEquals("f: 'vae_train." + key + "': the key is missing", missing.getMessage());
    }

    @Test
    void outOfRangeSettingsAreRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new VaeTrainConfig(10, 4, 1e-3f, 11, 0f, 1f, 0f, 0));
        assertEquals("VaeTrainConfig: warmupSteps must be in [0, steps = 10], got 11.0", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new VaeTrainConfig(10, 4, Float.NaN, 0, 0f, 1f, 0f, 0));
        assertThrows(IllegalArgumentException.class, () -> new VaeTrainConfig(10, 4, 1e-3f, 0, 0f, 1f, -1e-9f, 0));
        assertThrows(IllegalArgumentException.class, () -> new VaeObjective(Float.POSITIVE_INFINITY));
    }
}
