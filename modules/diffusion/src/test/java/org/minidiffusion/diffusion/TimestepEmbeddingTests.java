package org.minidiffusion.diffusion;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.minidiffusion.diffusion.GoldenFileTests.assertClose;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.minidiffusion.core.api.Backends;
import org.minidiffusion.core.api.Shape;
import org.minidiffusion.core.api.Tensor;

/** The sinusoidal timestep embedding, DDPM's convention. */
class TimestepEmbeddingTests {
    private Backends.Scope scalar;

    @BeforeEach
    void useScalarBackend() {
        scalar = Backends.use("scalar");
    }

    @AfterEach
    void restoreBackend() {
        scalar.close();
    }

    @Test
    void matchesPyTorchForLargeAndSmallTimesteps() {
        GoldenFileTests.Golden g = GoldenFileTests.load("embedding.txt");
        int[] t = g.ints("t");
        int dim = g.ints("dim")[0];
        Tensor e = TimestepEmbedding.sinusoidal(t, dim);
        assertEquals(Shape.of(t.length, dim), e.shape());
        assertEquals("scalar", e.backend().id());
        // computed in double, rounded once: float32 rounding, plus an absolute floor for values near 0
        assertClose(g.doubles("values"), e.toArray(), 1e-6, 1e-7, "embedding");
    }

    @Test
    void sinesComeFirstAndTheLowestFrequencyIsOneTenThousandth() {
        Tensor e = TimestepEmbedding.sinusoidal(new int[] {0, 1000}, 8); // h = 4, ω = 1, 10^-4/3, 10^-8/3, 10^-4
        float[] v = e.toArray();
        assertEquals(0f, v[0]);   // sin(0)
        assertEquals(1f, v[4]);   // cos(0)
        assertEquals((float) Math.sin(1000), v[8], 1e-6);
        assertEquals((float) Math.sin(1000 * Math.pow(10, -4.0 / 3)), v[9], 1e-6);
        assertEquals((float) Math.sin(0.1), v[11], 1e-7);  // 1000 · 1e-4
        assertEquals((float) Math.cos(0.1), v[15], 1e-7);
    }

    @Test
    void oddOrTinyDimensionsAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> TimestepEmbedding.sinusoidal(new int[] {1}, 7));
        assertThrows(IllegalArgumentException.class, () -> TimestepEmbedding.sinusoidal(new int[] {1}, 2));
    }
}
