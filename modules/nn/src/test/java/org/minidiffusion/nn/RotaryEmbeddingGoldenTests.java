package org.minidiffusion.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.minidiffusion.core.api.Backend;
import org.minidiffusion.core.api.Backends;
import org.minidiffusion.core.api.Tensor;
import org.minidiffusion.io.Safetensors;
import org.minidiffusion.io.SafetensorsFile;
import org.minidiffusion.testkit.GoldenCheck;
import org.minidiffusion.testkit.Tolerance;

/**
 * Golden tests of {@link RotaryEmbedding} against PyTorch ({@code tools/golden_transformers.py},
 * which rotates each pair as a complex number), on both backends: 1-D text positions with both
 * pairings, and Flux's three axes (text, row, column) splitting a head of 16 as (4, 6, 6) over a 3x4
 * grid, with both pairings. Output and input gradient, tolerance {@link Tolerance#DEFAULT}.
 */
class RotaryEmbeddingGoldenTests {
    static final String[] CASES = {"rope_1d_half_split", "rope_1d_interleaved", "rope_axial_interleaved",
        "rope_axial_half_split"};

    static Stream<Arguments> cases() {
        return GoldenCheck.cases(CASES);
    }

    @ParameterizedTest(name = "{1} on {0}")
    @MethodSource("cases")
    void forwardAndGradientMatchPyTorch(String backendId, String name) {
        Backend backend = Backends.get(backendId);
        backend.run(() -> {
            SafetensorsFile f = GoldenCheck.load(RotaryEmbeddingGoldenTests.class, "/golden/" + name + ".safetensors",
                    path -> Safetensors.read(path, backend));
            int[] axes = Arrays.stream(GoldenCheck.meta(f.metadata(), "axes_dims").split(",")).mapToInt(Integer::parseInt).toArray();
            RotaryEmbedding rope = new RotaryEmbedding(axes, Double.parseDouble(GoldenCheck.meta(f.metadata(), "theta")),
                    RotaryEmbedding.Pairing.valueOf(GoldenCheck.meta(f.metadata(), "pairing").toUpperCase(Locale.ROOT)));
            int[][] positions = AttentionGoldenTests.rows(f.tensor("positions"));
            Tensor x = f.tensor("input").requireGrad();
            Tensor out = rope.apply(x, positions);
            GoldenCheck check = new GoldenCheck(name, backendId, Tolerance.DEFAULT);
            check.close("output", f.tensor("output"), out);
            out.backward(f.tensor("grad_output"));
            check.close("grad.input", f.tensor("grad.input"), x.grad());
            check.finish();
        });
    }

    @Test
    void positionZeroIsTheIdentityAndPositionsOfTheGrid() {
        RotaryEmbedding rope = RotaryEmbedding.of1d(4, 10000, RotaryEmbedding.Pairing.INTERLEAVED);
        float[] x = {1, 2, 3, 4};
        assertArrayEquals(x, rope.apply(Tensor.of(x, 1, 4), new int[][] {{0}}).toArray());
        assertArrayEquals(new int[] {1, 2}, RotaryEmbedding.positions2d(2, 3)[5]);
    }

    @Test
    void badDimsAreNamed() {
        IllegalArgumentException odd = assertThrows(IllegalArgumentException.class,
                () -> new RotaryEmbedding(new int[] {4, 5}, 10000, RotaryEmbedding.Pairing.INTERLEAVED));
        assertTrue(odd.getMessage().contains("axis 1 is 5"), odd.getMessage());
        IllegalArgumentException sum = assertThrows(IllegalArgumentException.class,
                () -> RotaryEmbedding.axial(16, new int[] {4, 6, 4}, 10000, RotaryEmbedding.Pairing.INTERLEAVED));
        assertTrue(sum.getMessage().contains("sum to 14, not to the head dim 16"), sum.getMessage());
        RotaryEmbedding rope = RotaryEmbedding.of1d(8, 10000, RotaryEmbedding.Pairing.HALF_SPLIT);
        IllegalArgumentException head = assertThrows(IllegalArgumentException.class,
                () -> rope.apply(Tensor.zeros(1, 3, 6), RotaryEmbedding.positions1d(3)));
        assertTrue(head.getMessage().contains("head dim 8"), head.getMessage());
    }
}
