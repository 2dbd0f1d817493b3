package org.minidiffusion.diffusion.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.minidiffusion.diffusion.BetaSchedule;
import org.minidiffusion.diffusion.PredictionType;

/** Training settings: NaN, infinity and out-of-range values are refused, naming the setting and value. */
class TrainConfigTests {
    private static TrainConfig with(float weightDecay, float lr, float ema, float clip, float drop, int timesteps) {
        return new TrainConfig(10, 4, lr, 2, weightDecay, clip, ema, drop, 1L, PredictionType.EPSILON,
                BetaSchedule.COSINE, timesteps);
    }

    @ParameterizedTest
    @ValueSource(floats = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, -0.5f, 2f})
    void aNonFiniteOrOutOfRangeSettingIsRefusedByName(float bad) {
        String[] names = {"weightDecay", "learningRate", "emaDecay", "gradClip", "classDropout"};
        for (int i = 0; i < names.length; i++) {
            float[] v = {0.01f, 1e-3f, 0.9f, 1f, 0.1f};
            v[i] = bad;
            if (names[i].equals("gradClip") && bad == 2f) {
                continue; // a clip norm of 2 is fine
            }
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> with(v[0], v[1], v[2], v[3], v[4], 1000), names[i] + " = " + bad);
            assertTrue(e.getMessage().contains(names[i] + " = " + bad), e.getMessage());
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 100_001, 2_000_000_000})
    void theNumberOfTimestepsIsBounded(int timesteps) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> with(0.01f, 1e-3f, 0.9f, 1f, 0.1f, timesteps));
        assertTrue(e.getMessage().contains("trainTimesteps = " + timesteps + ": must be in [2, 100000]"), e.getMessage());
    }

    @Test
    void metadataRoundTrips() {
        TrainConfig c = with(0.01f, 1e-3f, 0.9f, 1f, 0.1f, 1000);
        assertEquals(c, TrainConfig.fromMetadata(c.toMetadata(), "run/checkpoint.safetensors"));
    }

    @Test
    void aNanWeightDecayInMetadataNamesTheFileKeyAndValue() {
        Map<String, String> m = new java.util.LinkedHashMap<>(with(0.01f, 1e-3f, 0.9f, 1f, 0.1f, 1000).toMetadata());
        m.put("train.weight_decay", "NaN");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TrainConfig.fromMetadata(m, "run/checkpoint.safetensors"));
        assertEquals("run/checkpoint.safetensors: 'train.weight_decay' = 'NaN': must be a finite number in [0.0, 1.0]",
                e.getMessage());
    }
}
