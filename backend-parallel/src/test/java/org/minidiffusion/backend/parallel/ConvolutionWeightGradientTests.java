package org.minidiffusion.backend.parallel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.minidiffusion.core.spi.Conv2dGeometry;

/**
 * Checks both weight gradients of this backend, {@link PackedConvolution} on the Vector API and
 * {@link Convolution} in plain Java, against a direct sum in double, on geometries that cross the
 * packed kernel's boundaries: output channels past a panel of {@link SimdGemm#NR}, im2col rows
 * past a panel of {@link SimdGemm#MR} and a block of {@link PackedGemm#MC}, a contraction of
 * several blocks that spans images; and that the packed result does not depend on how the work is
 * cut into tasks and rounds.
 */
class ConvolutionWeightGradientTests {

    /** {@code (N, C, H, W, O, KH, KW, sH, sW, pH, pW, groups)}: odd sizes, strides, paddings, groups. */
    private static final Conv2dGeometry[] GEOMETRIES = {
        new Conv2dGeometry(2, 5, 9, 7, 37, 3, 3, 1, 1, 1, 1, 1),     // 37 outputs: a ragged second panel
        new Conv2dGeometry(3, 4, 17, 15, 35, 3, 3, 1, 1, 1, 1, 1),   // 765 steps: three contraction blocks
        new Conv2dGeometry(1, 7, 13, 11, 50, 3, 3, 1, 1, 0, 0, 1),   // batch 1, padding 0
        new Conv2dGeometry(2, 6, 11, 9, 40, 3, 3, 2, 2, 1, 1, 1),    // stride 2
        new Conv2dGeometry(3, 19, 5, 7, 33, 1, 1, 1, 1, 0, 0, 1),    // 1x1
        new Conv2dGeometry(2, 8, 9, 9, 12, 3, 3, 1, 1, 1, 1, 2),     // two groups of 6 outputs
        new Conv2dGeometry(2, 3, 8, 10, 17, 2, 3, 1, 2, 1, 0, 1),    // 2x3 kernel, stride (1, 2)
        new Conv2dGeometry(2, 23, 6, 6, 64, 3, 3, 1, 1, 1, 1, 1),    // 207 im2col rows: past one MC block
        new Conv2dGeometry(2, 3, 16, 16, 3, 3, 3, 1, 1, 1, 1, 1),    // 3 outputs, 27 rows
    };

    @Test
    void packedMatchesADirectSum() {
        for (Conv2dGeometry g : GEOMETRIES) {
            Inputs in = new Inputs(g);
            float[] got = in.stale();
            PackedConvolution.backwardWeight(g, in.x, in.gradY, got);
            in.check("packed", got);
        }
    }

    @Test
    void plainJavaMatchesADirectSum() {
        for (Conv2dGeometry g : GEOMETRIES) {
            Inputs in = new Inputs(g);
            float[] got = in.stale();
            Convolution.backwardWeight(g, in.x, in.gradY, got);
            in.check("plain Java", got);
        }
    }

    /**
     * One task per group, one contraction block per round, and the default cut, all give the same
     * bits: every element is summed by one task, block after block, in the same order.
     */
    @Test
    void packedIsTheSameHoweverTheWorkIsCut() {
        for (Conv2dGeometry g : GEOMETRIES) {
            Inputs in = new Inputs(g);
            float[] want = in.stale();
            PackedConvolution.backwardWeight(g, in.x, in.gradY, want);
            int[][] cuts = {{Integer.MAX_VALUE, 1}, {1, 1}, {1, 64}, {2 * 32 * 256, 3}};
            for (int[] cut : cuts) {
                float[] got = in.stale();
                PackedConvolution.backwardWeight(g, in.x, in.gradY, got, cut[0], cut[1]);
                assertArrayEquals(want, got, g + " cut " + Arrays.toString(cut));
            }
        }
    }

    /** Random inputs and the direct weight gradient in double, with the sum of |terms| of each element. */
    private static final class Inputs {
        final Conv2dGeometry g;
        final float[] x;
        final float[] gradY;
        final double[] want;
        final double[] magnitude;

        Inputs(Conv2dGeometry g) {
            this.g = g;
            Random r = new Random(g.hashCode());
            x = normal(r, g.batch() * g.inChannels() * g.height() * g.width());
            gradY = normal(r, g.batch() * g.outChannels() * g.outHeight() * g.outWidth());
            int cg = g.inPerGroup();
            int og = g.outPerGroup();
            int taps = g.kernelH() * g.kernelW();
            want = new double[g.outChannels() * cg * taps];
            magnitude = new double[want.length];
            // dW[o][c][ky][kx] = sum_{n, oy, ox} dy[n][o][oy][ox] x[n][g C/G + c][oy sH - pH + ky][ox sW - pW + kx]
            for (int o = 0; o < g.outChannels(); o++) {
                for (int c = 0; c < cg; c++) {
                    for (int t = 0; t < taps; t++) {
                        int ky = t / g.kernelW();
                        int kx = t % g.kernelW();
                        int ci = o / og * cg + c;
                        for (int n = 0; n < g.batch(); n++) {
                            for (int oy = 0; oy < g.outHeight(); oy++) {
                                for (int ox = 0; ox < g.outWidth(); ox++) {
                                    int iy = oy * g.strideH() - g.padH() + ky;
                                    int ix = ox * g.strideW() - g.padW() + kx;
                                    if (iy < 0 || iy >= g.height() || ix < 0 || ix >= g.width()) {
                                        continue;
                                    }
                                    double term = (double) gradY[((n * g.outChannels() + o) * g.outHeight() + oy)
                                            * g.outWidth() + ox]
                                            * x[((n * g.inChannels() + ci) * g.height() + iy) * g.width() + ix];
                                    want[(o * cg + c) * taps + t] += term;
                                    magnitude[(o * cg + c) * taps + t] += Math.abs(term);
                                }
                            }
                        }
                    }
                }
            }
        }

        /** An output array full of NaN, so that an element left unwritten shows. */
        float[] stale() {
            float[] v = new float[want.length];
            Arrays.fill(v, Float.NaN);
            return v;
        }

        /** Each element within float32 reordering error, {@code 1e-5} of its sum of |terms|, of the direct sum. */
        void check(String path, float[] got) {
            for (int i = 0; i < want.length; i++) {
                double bound = 1e-5 * magnitude[i] + 1e-6;
                assertTrue(Math.abs(got[i] - want[i]) <= bound, path + " " + g + ": element " + i + " is " + got[i]
                        + ", expected " + want[i] + " within " + bound);
            }
        }

        private static float[] normal(Random r, int n) {
            float[] v = new float[n];
            for (int i = 0; i < n; i++) {
                v[i] = (float) r.nextGaussian();
            }
            return v;
        }
    }
}
