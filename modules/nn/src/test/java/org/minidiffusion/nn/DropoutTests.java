package org.minidiffusion.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.minidiffusion.core.api.Backend;
import org.minidiffusion.core.api.Backends;
import org.minidiffusion.core.api.Rng;
import org.minidiffusion.core.api.Tensor;

/** Inverted dropout: the mask's values and rate, its gradient, and where its randomness comes from. */
class DropoutTests {
    private static final Backend SCALAR = Backends.get("scalar");

    @Test
    void trainingModeZeroesAboutPAndScalesTheRestByOneOverOneMinusP() {
        SCALAR.run(() -> {
            Dropout d = new Dropout(0.25f, new Rng(1));
            float[] out = d.forward(Tensor.full(2f, 100, 100)).toArray();
            long zeros = 0;
            for (float v : out) {
                assertTrue(v == 0f || v == 2f / 0.75f, "each element is 0 or x / (1 - p), got " + v);
                zeros += v == 0f ? 1 : 0;
            }
            // 10,000 Bernoulli(0.25) draws: the standard deviation of the count is about 43
            assertEquals(2500, zeros, 200, "dropped elements");
        });
    }

    @Test
    void theGradientIsTheMask() {
        SCALAR.run(() -> {
            Dropout d = new Dropout(0.5f, new Rng(2));
            Tensor x = Tensor.full(3f, 4, 8).requireGrad();
            Tensor y = d.forward(x);
            y.sum().backward();
            float[] out = y.toArray();
            float[] grad = x.grad().toArray();
            for (int i = 0; i < out.length; i++) {
                assertEquals(out[i] / 3f, grad[i], 0f, "element " + i);
            }
        });
    }

    @Test
    void evaluationModeAndPZeroAreTheIdentity() {
        SCALAR.run(() -> {
            Tensor x = Tensor.randn(new Rng(3), 3, 5);
            Dropout d = new Dropout(0.5f, new Rng(4));
            d.train(false);
            assertSame(x, d.forward(x));
            assertSame(x, new Dropout(0f, new Rng(4)).forward(x));
        });
    }

    @Test
    void drawMasksFromReachesNestedLayersAndFixesTheirMasks() {
        SCALAR.run(() -> {
            LayerList<Dropout> model = new LayerList<Dropout>()
                    .add(new Dropout(0.5f, new Rng(10)))
                    .add(new Dropout(0.5f, new Rng(20)));
            LayerList<LayerList<Dropout>> outer = new LayerList<LayerList<Dropout>>().add(model);
            Tensor x = Tensor.full(1f, 64);

            assertEquals(2, Dropout.drawMasksFrom(outer, new Rng(7)));
            float[] first = model.get(0).forward(x).toArray();
            float[] second = model.get(1).forward(x).toArray();
            assertFalse(Arrays.equals(first, second), "the layers share one generator, so they draw different masks");

            Dropout.drawMasksFrom(outer, new Rng(7));
            assertArrayEquals(first, model.get(0).forward(x).toArray(), 0f, "the same generator gives the same masks");
            assertArrayEquals(second, model.get(1).forward(x).toArray(), 0f);
        });
    }

    @Test
    void badArgumentsAreNamed() {
        IllegalArgumentException p = assertThrows(IllegalArgumentException.class, () -> new Dropout(1f, new Rng(0)));
        assertTrue(p.getMessage().contains("p must be in [0, 1), got 1.0"), p.getMessage());
        IllegalArgumentException rng = assertThrows(IllegalArgumentException.class,
                () -> Dropout.drawMasksFrom(new Dropout(0.1f, new Rng(0)), null));
        assertTrue(rng.getMessage().contains("Dropout.drawMasksFrom: the generator is null"), rng.getMessage());
    }
}
