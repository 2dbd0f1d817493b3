package org.minidiffusion.vae;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.minidiffusion.core.api.ShapeException;
import org.minidiffusion.core.api.Tensor;

/** PSNR on [0, 1] pixels: {@code 10 log10(1 / MSE)}, on known values. */
class PsnrTests {
    @Test
    void knownValues() {
        assertEquals(20.0, Psnr.fromMse(0.01), 1e-12);
        assertEquals(30.0, Psnr.fromMse(1e-3), 1e-12);
        assertEquals(0.0, Psnr.fromMse(1.0), 1e-12);
        assertEquals(6.0206, Psnr.fromMse(0.25), 1e-4, "an error of 0.5 everywhere");
        assertEquals(48.1308, Psnr.fromMse(1.0 / (255.0 * 255.0)), 1e-4, "one 8-bit level everywhere");
        assertEquals(Double.POSITIVE_INFINITY, Psnr.fromMse(0.0));
        assertThrows(IllegalArgumentException.class, () -> Psnr.fromMse(-1e-9));
        assertThrows(IllegalArgumentException.class, () -> Psnr.fromMse(Double.NaN));
    }

    /** The MSE of each image is over its own pixels only. */
    @Test
    void meanSquaredErrorPerImage() {
        Tensor a = Tensor.of(new float[] {0f, 0f, 0f, 0f, 1f, 1f, 1f, 1f}, 2, 1, 2, 2);
        Tensor b = Tensor.of(new float[] {0.1f, 0.1f, 0.1f, 0.1f, 1f, 1f, 0f, 1f}, 2, 1, 2, 2);
        double[] mse = Psnr.meanSquaredErrors(a, b);
        assertEquals(2, mse.length);
        assertEquals(0.01, mse[0], 1e-8);
        assertEquals(0.25, mse[1], 1e-12);
        assertArrayEquals(new double[] {0, 0}, Psnr.meanSquaredErrors(a, a));
        ShapeException e = assertThrows(ShapeException.class, () -> Psnr.meanSquaredErrors(a, b.reshape(2, 4)));
        assertEquals(true, e.getMessage().contains("(2, 1, 2, 2)"), e.getMessage());
    }
}
