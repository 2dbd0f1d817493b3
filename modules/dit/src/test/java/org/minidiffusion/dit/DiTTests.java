package org.minidiffusion.dit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;
import org.minidiffusion.core.api.Backends;
import org.minidiffusion.core.api.Rng;
import org.minidiffusion.core.api.ShapeException;
import org.minidiffusion.core.api.Tensor;
import org.minidiffusion.testkit.GoldenCheck;

/** DiT's zero initialisation, patchify and unpatchify, and the sinusoidal tables, on both backends. */
class DiTTests {
    static final List<String> BACKENDS = GoldenCheck.BACKENDS;

    /** adaLN-Zero (DiT section 3.2): every gate starts at zero, so a fresh block returns its input bit for bit. */
    @ParameterizedTest
    @FieldSource("BACKENDS")
    void aFreshBlockIsExactlyTheIdentity(String backendId) {
        Backends.get(backendId).run(() -> {
            Rng rng = new Rng(7);
            DiTBlock block = new DiTBlock(16, 4, 4f, rng);
            Tensor x = Tensor.randn(rng, 2, 5, 16).requireGrad();
            Tensor c = Tensor.randn(rng, 2, 16);
            Tensor y = block.forward(x, c);
            assertArrayEquals(x.toArray(), y.toArray(), "a fresh DiT block changed its input");
            // The gates are zero but their gradient is not, so the block still learns.
            y.mul(Tensor.randn(rng, 2, 5, 16)).sum().backward();
            assertTrue(maxAbs(block.parameters().get("adaLN_modulation.1.weight").grad()) > 1e-3,
                    "the modulation weights must receive a gradient");
            assertEquals(0f, maxAbs(block.parameters().get("attn.qkv.weight").grad()),
                    "with zero gates nothing flows into the attention yet");
        });
    }

    /** The final layer is zero-initialised as well, so a fresh DiT predicts exactly zero. */
    @ParameterizedTest
    @FieldSource("BACKENDS")
    void aFreshDiTPredictsZero(String backendId) {
        Backends.get(backendId).run(() -> {
            Rng rng = new Rng(8);
            DiT dit = new DiT(8, 2, 3, 16, 2, 2, 6, rng);
            Tensor out = dit.forward(Tensor.randn(rng, 2, 3, 8, 8), Tensor.of(new float[] {3f, 500f}, 2));
            assertArrayEquals(new int[] {2, 6, 8, 8}, out.shape().toArray());
            assertEquals(0f, maxAbs(out));
        });
    }

    /** Unpatchify puts feature (p', q', c) of token (i, j) at pixel (c, i·p + p', j·p + q'). */
    @ParameterizedTest
    @FieldSource("BACKENDS")
    void unpatchifyInvertsPatchExtraction(String backendId) {
        Backends.get(backendId).run(() -> {
            int b = 2;
            int c = 3;
            int p = 2;
            int h = 2;
            int w = 3;
            Tensor image = Tensor.randn(new Rng(9), b, c, h * p, w * p);
            float[] img = image.toArray();
            float[] tokens = new float[img.length];
            int k = 0;
            for (int n = 0; n < b; n++) {
                for (int i = 0; i < h; i++) {
                    for (int j = 0; j < w; j++) {
                        for (int pp = 0; pp < p; pp++) {
                            for (int qq = 0; qq < p; qq++) {
                                for (int ch = 0; ch < c; ch++) {
                                    tokens[k++] = img[((n * c + ch) * h * p + i * p + pp) * w * p + j * p + qq];
                                }
                            }
                        }
                    }
                }
            }
            Tensor back = PatchEmbed.unpatchify(Tensor.of(tokens, b, h * w, p * p * c), h, w, p, c);
            assertArrayEquals(img, back.toArray());
        });
    }

    @Test
    void unpatchifyRejectsAWrongTokenCount() {
        ShapeException e = assertThrows(ShapeException.class,
                () -> PatchEmbed.unpatchify(Tensor.zeros(1, 5, 12), 2, 3, 2, 3));
        assertTrue(e.getMessage().contains("unpatchify"), e.getMessage());
    }

    /** DiT's timestep_embedding: [cos(t·ω_i), sin(t·ω_i)], ω_i = 10000^(−i/half). */
    @Test
    void timestepFeaturesAreCosinesThenSines() {
        float[] f = Timesteps.sinusoid(Tensor.of(new float[] {0f, 1f}, 2), 4).toArray();
        assertArrayEquals(new float[] {1f, 1f, 0f, 0f, (float) Math.cos(1), (float) Math.cos(0.01), (float) Math.sin(1),
            (float) Math.sin(0.01)}, f);
    }

    /** Token (i, j) gets [sin, cos](column) then [sin, cos](row), coordinates scaled by base/grid. */
    @Test
    void thePositionTableEncodesColumnThenRow() {
        float[] t = PatchEmbed.sincos2d(8, 2, 1); // coordinates 0 and 0.5
        float[] token10 = java.util.Arrays.copyOfRange(t, 2 * 8, 3 * 8); // row 1, column 0
        assertArrayEquals(new float[] {0f, 0f, 1f, 1f, (float) Math.sin(0.5), (float) Math.sin(0.005), (float) Math.cos(0.5),
            (float) Math.cos(0.005)}, token10);
    }

    @Test
    void shapesAreCheckedWithTheLayerNamed() {
        DiTBlock block = new DiTBlock(8, 2, 4f, new Rng(1));
        ShapeException e = assertThrows(ShapeException.class, () -> block.forward(Tensor.zeros(1, 3, 8), Tensor.zeros(1, 4)));
        assertTrue(e.getMessage().contains("DiTBlock"), e.getMessage());
        IllegalArgumentException heads = assertThrows(IllegalArgumentException.class, () -> new DiTBlock(8, 3, 4f, new Rng(1)));
        assertTrue(heads.getMessage().contains("3 heads"), heads.getMessage());
        assertThrows(UnsupportedOperationException.class, () -> block.forward(Tensor.zeros(1, 3, 8)));
    }

    private static float maxAbs(Tensor t) {
        float m = 0f;
        for (float v : t.toArray()) {
            m = Math.max(m, Math.abs(v));
        }
        return m;
    }
}
