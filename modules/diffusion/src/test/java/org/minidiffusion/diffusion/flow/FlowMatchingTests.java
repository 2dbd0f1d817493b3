package org.minidiffusion.diffusion.flow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.minidiffusion.core.api.Backend;
import org.minidiffusion.core.api.Backends;
import org.minidiffusion.core.api.Rng;
import org.minidiffusion.core.api.Tensor;

/** The forward process, the velocity target and the loss, element by element, on both backends. */
class FlowMatchingTests {
    private static final List<String> BACKENDS = List.of("scalar", "parallel");

    /** {@code x_t = (1 − t)·x_0 + t·ε}, so {@code x_0} at t = 0, {@code ε} at t = 1, and {@code (x_t − x_0)/t = ε − x_0}. */
    @Test
    void forwardProcessIsTheStraightLineAndItsVelocityPointsToNoise() {
        for (String id : BACKENDS) {
            Backend backend = Backends.get(id);
            backend.run(() -> {
                Rng rng = new Rng(5);
                Tensor x0 = Tensor.randn(rng, 4, 2, 3);
                Tensor noise = Tensor.randn(rng, 4, 2, 3);
                double[] t = {0.0, 0.25, 0.8, 1.0};
                float[] xt = FlowMatching.noisy(x0, noise, t).toArray();
                float[] v = FlowMatching.velocityTarget(x0, noise).toArray();
                float[] a = x0.toArray();
                float[] e = noise.toArray();
                for (int i = 0; i < xt.length; i++) {
                    double ti = t[i / 6];
                    assertEquals((1 - ti) * a[i] + ti * e[i], xt[i], 1e-6, id + " x_t element " + i);
                    assertEquals(e[i] - a[i], v[i], 1e-6, id + " v element " + i);
                    if (ti > 0) {
                        assertEquals((xt[i] - a[i]) / ti, v[i], 1e-5, id + " (x_t − x_0)/t at element " + i);
                    }
                }
                for (int i = 0; i < 6; i++) {
                    assertEquals(a[i], xt[i], "t = 0 is data");
                    assertEquals(e[18 + i], xt[18 + i], "t = 1 is noise");
                }
            });
        }
    }

    /** The loss is the mean squared velocity error, zero at the target, with gradient 2(v̂ − v)/N. */
    @Test
    void lossIsTheMeanSquaredVelocityError() {
        for (String id : BACKENDS) {
            Backends.get(id).run(() -> {
                Rng rng = new Rng(6);
                Tensor x0 = Tensor.randn(rng, 3, 5);
                Tensor noise = Tensor.randn(rng, 3, 5);
                Tensor predicted = Tensor.randn(rng, 3, 5).requireGrad();
                Tensor loss = FlowMatching.loss(predicted, x0, noise);
                float[] p = predicted.toArray();
                float[] a = x0.toArray();
                float[] e = noise.toArray();
                double expected = 0;
                for (int i = 0; i < p.length; i++) {
                    expected += (p[i] - (e[i] - a[i])) * (p[i] - (e[i] - a[i]));
                }
                expected /= p.length;
                assertEquals(expected, loss.item(), 1e-5 * expected, id + " loss");
                loss.backward();
                float[] g = predicted.grad().toArray();
                for (int i = 0; i < p.length; i++) {
                    assertEquals(2 * (p[i] - (e[i] - a[i])) / p.length, g[i], 1e-6, id + " gradient " + i);
                }
                assertEquals(0f, FlowMatching.loss(noise.sub(x0), x0, noise).item(), 1e-12, id + " loss at the target");
            });
        }
    }

    @Test
    void badInputsAreNamed() {
        Tensor x0 = Tensor.zeros(2, 3);
        String shapes = assertThrows(IllegalArgumentException.class,
                () -> FlowMatching.noisy(x0, Tensor.zeros(2, 4), new double[] {0, 1})).getMessage();
        assertTrue(shapes.contains("FlowMatching.noisy: shapes differ, (2, 3) and (2, 4)"), shapes);
        String count = assertThrows(IllegalArgumentException.class,
                () -> FlowMatching.noisy(x0, x0, new double[] {0.5})).getMessage();
        assertTrue(count.contains("1 times for a batch"), count);
        String range = assertThrows(IllegalArgumentException.class,
                () -> FlowMatching.noisy(x0, x0, new double[] {0.5, 1.5})).getMessage();
        assertTrue(range.contains("time 1.5 of sample 1 is outside [0, 1]"), range);
        String loss = assertThrows(IllegalArgumentException.class,
                () -> FlowMatching.loss(Tensor.zeros(2, 2), x0, x0)).getMessage();
        assertTrue(loss.contains("FlowMatching.loss: shapes differ"), loss);
    }
}
