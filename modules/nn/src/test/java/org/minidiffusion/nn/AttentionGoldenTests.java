package org.minidiffusion.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.minidiffusion.core.api.Backend;
import org.minidiffusion.core.api.Backends;
import org.minidiffusion.core.api.ShapeException;
import org.minidiffusion.core.api.Tensor;
import org.minidiffusion.io.Safetensors;
import org.minidiffusion.io.SafetensorsFile;
import org.minidiffusion.testkit.GoldenCheck;
import org.minidiffusion.testkit.Tolerance;

/**
 * Golden tests of {@link Attention} against PyTorch ({@code tools/golden_transformers.py}), on both
 * backends: the output and the gradients of q, k and v under a causal plus padding mask
 * (self-attention, scale 0.5) and under a padding mask over a longer key sequence (cross attention,
 * scale 1, as T5). Tolerance {@link Tolerance#DEFAULT}.
 */
class AttentionGoldenTests {
    static final String[] CASES = {"attention_mask_causal_padding", "attention_mask_cross_padding"};

    static Stream<Arguments> cases() {
        return GoldenCheck.cases(CASES);
    }

    @ParameterizedTest(name = "{1} on {0}")
    @MethodSource("cases")
    void forwardAndGradientsMatchPyTorch(String backendId, String name) {
        Backend backend = Backends.get(backendId);
        backend.run(() -> {
            SafetensorsFile f = GoldenCheck.load(AttentionGoldenTests.class, "/golden/" + name + ".safetensors",
                    path -> Safetensors.read(path, backend));
            Tensor q = f.tensor("q").requireGrad();
            Tensor k = f.tensor("k").requireGrad();
            Tensor v = f.tensor("v").requireGrad();
            Tensor mask = Attention.paddingMask(rows(f.tensor("attention_mask")));
            if (Boolean.parseBoolean(GoldenCheck.meta(f.metadata(), "causal"))) {
                mask = mask.add(Attention.causalMask(q.size(2), k.size(2)));
            }
            Tensor out = Attention.scaledDotProduct(q, k, v, mask, GoldenCheck.floatMeta(f.metadata(), "scale"));
            GoldenCheck check = new GoldenCheck(name, backendId, Tolerance.DEFAULT);
            check.close("output", f.tensor("output"), out);
            out.backward(f.tensor("grad_output"));
            check.close("grad.q", f.tensor("grad.q"), q.grad());
            check.close("grad.k", f.tensor("grad.k"), k.grad());
            check.close("grad.v", f.tensor("grad.v"), v.grad());
            check.finish();
        });
    }

    static int[][] rows(Tensor t) { // (B, L) integer-valued floats
        int[] flat = GoldenCheck.ints(t);
        int[][] out = new int[t.size(0)][t.size(1)];
        for (int i = 0; i < out.length; i++) {
            System.arraycopy(flat, i * out[0].length, out[i], 0, out[0].length);
        }
        return out;
    }

    @Test
    void causalMaskAlignsQueriesToTheLastKeys() {
        float m = Attention.MASKED;
        assertEquals(java.util.List.of(0f, 0f, m, 0f, 0f, 0f), asList(Attention.causalMask(2, 3).toArray()));
        assertEquals(java.util.List.of(0f, m, 0f, 0f), asList(Attention.causalMask(2, 2).toArray()));
    }

    @Test
    void badMasksAndShapesAreNamed() {
        Tensor q = Tensor.zeros(1, 2, 3, 4);
        Tensor k = Tensor.zeros(1, 2, 5, 4);
        ShapeException e = assertThrows(ShapeException.class,
                () -> Attention.scaledDotProduct(q, k, k, Tensor.zeros(1, 1, 3, 4)));
        assertTrue(e.getMessage().contains("mask"), e.getMessage());
        assertThrows(ShapeException.class, () -> Attention.scaledDotProduct(q, Tensor.zeros(1, 2, 5, 3), k, null));
        IllegalArgumentException p = assertThrows(IllegalArgumentException.class,
                () -> Attention.paddingMask(new int[][] {{1, 1}, {1, 2}}));
        assertTrue(p.getMessage().contains("[1][1] is 2"), p.getMessage());
    }

    private static java.util.List<Float> asList(float[] v) {
        java.util.List<Float> out = new java.util.ArrayList<>();
        for (float x : v) {
            out.add(x);
        }
        return out;
    }
}
