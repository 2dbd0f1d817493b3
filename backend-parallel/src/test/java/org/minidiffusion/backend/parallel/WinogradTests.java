package org.minidiffusion.backend.parallel;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.minidiffusion.core.spi.Conv2dGeometry;
import org.minidiffusion.testkit.Tolerance;

/**
 * Checks the Winograd convolutions, {@code F(2x2, 3x3)} and {@code F(4x4, 3x3)}, forward and input
 * gradient, on both GEMM paths, against the direct method computed in double, under the kit's
 * {@link Tolerance#DEFAULT}; inputs are scaled as the kit scales them, weights by
 * {@code fanIn^-1/2}, so outputs are of order 1.
 *
 * <p>The shapes cover odd and tiny planes (partial tiles at the right and bottom, patches in the
 * padding on every side), paddings 0 to 2, unequal paddings, channel counts that are not multiples
 * of the vector width or of the register block, contractions longer than {@link PackedGemm#KC},
 * batches 1 to 4, more tiles than one task takes, and tile rows of 16 and 8 tiles, which
 * {@link WinogradSimd} transforms a vector at a time, next to rows it leaves to plain Java.
 */
class WinogradTests {

    /** Every variant and GEMM path stays within the tolerance of the direct method. */
    @ParameterizedTest(name = "N={0} C={1} {2}x{3} O={4} pad {5},{6}")
    @CsvSource({
        "1, 5, 7, 9, 7, 1, 1", "4, 20, 13, 11, 33, 1, 1", "1, 3, 1, 1, 2, 1, 1", "2, 17, 2, 3, 5, 1, 1",
        "1, 8, 9, 6, 19, 0, 0", "2, 6, 5, 8, 4, 2, 2", "1, 7, 10, 7, 9, 0, 2", "1, 300, 5, 6, 10, 1, 1",
        "4, 64, 32, 32, 64, 1, 1", "1, 16, 40, 36, 24, 1, 1", "2, 24, 16, 16, 20, 1, 1", "3, 9, 15, 17, 11, 1, 1",
        "2, 5, 18, 18, 6, 0, 0", "1, 4, 14, 12, 5, 2, 2"})
    void matchesTheDirectMethod(int batch, int c, int h, int w, int o, int ph, int pw) {
        Conv2dGeometry g = new Conv2dGeometry(batch, c, h, w, o, 3, 3, 1, 1, ph, pw, 1);
        Random r = new Random(batch + 3L * c + 5L * o + h + 7L * w + 11L * ph + pw);
        float[] x = gaussian(r, batch * c * h * w, 1);
        float[] wt = gaussian(r, o * c * 9, 1 / Math.sqrt(9.0 * c));
        float[] gy = gaussian(r, batch * o * g.outHeight() * g.outWidth(), Math.sqrt((double) c / o));
        Direct ref = new Direct(g, x, wt, gy);
        for (boolean simd : Simd.status().active() ? new boolean[] {true, false} : new boolean[] {false}) {
            String what = (simd ? "Vector API " : "plain Java ") + g;
            float[] y = gaussian(r, gy.length, 1); // stale contents must be overwritten
            Winograd.forward(g, x, wt, y, simd);
            check(what + " conv2d", y, ref.y);
            float[] gx = gaussian(r, x.length, 1);
            Winograd.backwardInput(g, gy, wt, gx, simd);
            check(what + " conv2dBackwardInput", gx, ref.gx);
            // the im2col path on the same inputs, for comparison
            if (simd) {
                PackedConvolution.forward(g, x, wt, y);
            } else {
                Convolution.forward(g, x, wt, y);
            }
            check("im2col " + what + " conv2d", y, ref.y);
        }
    }

    /** The backend takes this path for 3x3 stride-1 convolutions with enough channels and tiles, and only those. */
    @Test
    void dispatch() {
        assertTrue(Winograd.suits(new Conv2dGeometry(4, 64, 32, 32, 64, 3, 3, 1, 1, 1, 1, 1)));
        assertTrue(Winograd.suitsBackwardInput(new Conv2dGeometry(4, 64, 32, 32, 64, 3, 3, 1, 1, 1, 1, 1)));
        assertFalse(Winograd.suits(new Conv2dGeometry(4, 64, 32, 32, 64, 3, 3, 2, 2, 1, 1, 1)));
        assertFalse(Winograd.suits(new Conv2dGeometry(4, 64, 32, 32, 64, 3, 3, 1, 1, 1, 1, 2)));
        assertFalse(Winograd.suits(new Conv2dGeometry(4, 64, 32, 32, 64, 1, 1, 1, 1, 0, 0, 1)));
        assertFalse(Winograd.suitsBackwardInput(new Conv2dGeometry(4, 64, 32, 32, 64, 3, 3, 1, 1, 3, 3, 1)));
        assertFalse(Winograd.suits(new Conv2dGeometry(1, 256, 8, 8, 256, 3, 3, 1, 1, 1, 1, 1))); // 16 tiles
        assertFalse(Winograd.suits(new Conv2dGeometry(4, 3, 32, 32, 64, 3, 3, 1, 1, 1, 1, 1))); // 3 channels
        assertFalse(Winograd.suitsBackwardInput(new Conv2dGeometry(4, 64, 32, 32, 3, 3, 3, 1, 1, 1, 1, 1)));
    }

    /** Fails unless every element is within {@link Tolerance#DEFAULT} of the reference; prints the worst. */
    private static void check(String what, float[] got, double[] want) {
        Tolerance tol = Tolerance.DEFAULT;
        double worst = 0;
        double maxAbs = 0;
        int at = 0;
        for (int i = 0; i < want.length; i++) {
            double v = tol.violation(got[i], (float) want[i]);
            maxAbs = Math.max(maxAbs, Math.abs(got[i] - want[i]));
            if (!(v <= worst)) {
                worst = v;
                at = i;
            }
        }
        System.out.printf("%s: max |error| %.2e, worst element %d at %.3f of %s%n", what, maxAbs, at, worst, tol);
        assertTrue(worst <= 1, what + ": element " + at + " is " + got[at] + ", expected " + want[at]
                + " (" + tol + ")");
    }

    private static float[] gaussian(Random r, int n, double scale) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (scale * r.nextGaussian());
        }
        return v;
    }

    /** A padded stride-1 3x3 convolution and its input gradient in double, by the definition. */
    private static final class Direct {
        final double[] y;
        final double[] gx;

        Direct(Conv2dGeometry g, float[] x, float[] w, float[] gy) {
            y = new double[gy.length];
            gx = new double[x.length];
            int c = g.inChannels();
            int oh = g.outHeight();
            int ow = g.outWidth();
            for (int n = 0; n < g.batch(); n++) {
                for (int o = 0; o < g.outChannels(); o++) {
                    for (int oy = 0; oy < oh; oy++) {
                        for (int ox = 0; ox < ow; ox++) {
                            int yi = ((n * g.outChannels() + o) * oh + oy) * ow + ox;
                            for (int ci = 0; ci < c; ci++) {
                                for (int ky = 0; ky < 3; ky++) {
                                    for (int kx = 0; kx < 3; kx++) {
                                        int iy = oy - g.padH() + ky;
                                        int ix = ox - g.padW() + kx;
                                        if (iy < 0 || iy >= g.height() || ix < 0 || ix >= g.width()) {
                                            continue;
                                        }
                                        int xi = ((n * c + ci) * g.height() + iy) * g.width() + ix;
                                        double wv = w[((o * c + ci) * 3 + ky) * 3 + kx];
                                        y[yi] += x[xi] * wv;
                                        gx[xi] += gy[yi] * wv;
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
