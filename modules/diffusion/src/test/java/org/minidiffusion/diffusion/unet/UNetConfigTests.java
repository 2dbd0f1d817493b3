package org.minidiffusion.diffusion.unet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.minidiffusion.core.api.Rng;
import org.minidiffusion.core.api.Tensor;
import org.minidiffusion.diffusion.InvalidFieldException;

/** The architecture read from metadata: every key range-checked, and the weight count known before building. */
class UNetConfigTests {
    private static final UNetConfig SMALL = new UNetConfig(8, 1, 1, 8, new int[] {1, 2}, 1, Set.of(4), 4, 2, 3, 0f);

    @Test
    void theParameterCountIsThatOfTheBuiltNetwork() {
        UNetConfig[] configs = {
            SMALL,
            new UNetConfig(8, 1, 1, 8, new int[] {1, 2}, 1, Set.of(4), 4, 2, 0, 0f),
            new UNetConfig(16, 3, 2, 8, new int[] {1, 2, 2}, 2, Set.of(8, 4), 2, 4, 10, 0.1f),
            new UNetConfig(28, 1, 1, 16, new int[] {1, 2, 2}, 1, Set.of(7), 8, 4, 10, 0f),
            new UNetConfig(4, 2, 2, 4, new int[] {3}, 3, Set.of(), 2, 1, 1, 0f),
        };
        for (UNetConfig c : configs) {
            long built = new UNet(c, new Rng(0)).parameters().values().stream().mapToLong(p -> p.shape().numel()).sum();
            assertEquals(built, c.parameterCount(), c.toString());
        }
    }

    @ParameterizedTest
    @CsvSource({
            "groups, 0, '[1, 8192]'",
            "groups, 3, divide base_channels = 8",
            "groups, -4, '[1, 8192]'",
            "heads, 3, 'divide the 8 channels of level 0'",
            "image_size, 7, cannot be halved",
            "image_size, 0, '[1, 4096]'",
            "channel_mults, '', '1 to 8'",
            "channel_mults, '1,x', integers",
            "attention_resolutions, 16, '[1, 8]'",
            "num_classes, -1, '[0, 100000]'",
            "dropout, NaN, finite",
            "dropout, 1, '[0.0, 1.0)'",
            "blocks_per_level, 99999999999, '[1, 16]'",
    })
    void aBadKeyIsAnInvalidFieldNamingTheSourceKeyValueAndRange(String key, String value, String allowed) {
        Map<String, String> m = new LinkedHashMap<>(SMALL.toMetadata());
        m.put(key, value);
        InvalidFieldException e = assertThrows(InvalidFieldException.class, () -> UNetConfig.fromMetadata(m, "x.safetensors"));
        String msg = e.getMessage();
        assertTrue(msg.startsWith("x.safetensors: '" + key + "' = '" + value + "'") && msg.contains(allowed), msg);
        assertEquals(key, e.field());
        assertEquals(value, e.value());
    }

    @Test
    void groupsOfZeroIsARangeErrorNotADivisionByZero() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new UNetConfig(8, 1, 1, 8, new int[] {1, 2}, 1, Set.of(4), 0, 2, 3, 0f));
        assertTrue(e.getMessage().contains("groups = 0"), e.getMessage());
    }

    @Test
    void weightsAreCheckedByNameShapeAndValueBeforeUse() {
        Map<String, Tensor> weights = new LinkedHashMap<>(new UNet(SMALL, new Rng(1)).stateDict());
        UNet loaded = UNet.fromWeights(SMALL, weights, "m.safetensors");
        assertEquals(weights.keySet(), loaded.stateDict().keySet());

        Map<String, Tensor> nan = new LinkedHashMap<>(weights);
        float[] v = nan.get("conv_out.bias").toArray();
        v[0] = Float.POSITIVE_INFINITY;
        nan.put("conv_out.bias", Tensor.of(v, v.length));
        InvalidFieldException e = assertThrows(InvalidFieldException.class, () -> UNet.fromWeights(SMALL, nan, "m.safetensors"));
        assertTrue(e.getMessage().startsWith("m.safetensors: 'conv_out.bias' = '[0] = Infinity'"), e.getMessage());

        Map<String, Tensor> misshapen = new LinkedHashMap<>(weights);
        misshapen.put("conv_in.bias", Tensor.zeros(3));
        e = assertThrows(InvalidFieldException.class, () -> UNet.fromWeights(SMALL, misshapen, "m.safetensors"));
        assertTrue(e.getMessage().contains("'conv_in.bias' = 'shape (3)': must have shape (8)"), e.getMessage());

        UNetConfig huge = new UNetConfig(8, 1, 1, 4096, new int[] {2, 2}, 1, Set.of(4), 4, 2, 3, 0f);
        e = assertThrows(InvalidFieldException.class, () -> UNet.fromWeights(huge, weights, "m.safetensors"));
        assertTrue(e.getMessage().contains("the architecture in the metadata has"), e.getMessage());
    }
}
