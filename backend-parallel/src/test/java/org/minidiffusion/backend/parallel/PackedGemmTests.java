package org.minidiffusion.backend.parallel;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.minidiffusion.core.spi.Conv2dGeometry;

/**
 * Checks the Vector API products and convolutions against double-precision loops, on shapes that
 * cross every block edge of {@link PackedGemm}: contractions longer than {@link PackedGemm#KC},
 * more rows than {@link PackedGemm#MC}, more columns than {@link PackedGemm#NC}, and remainders
 * of the register block. The backend test kit's shapes are too small to reach most of them.
 */
class PackedGemmTests {

    private static final ParallelKernels SIMD = new ParallelKernels(true);

    /** These tests need the Vector API path, which the build's default test run enables. */
    @BeforeAll
    static void vectorApiIsActive() {
        assertTrue(Simd.status().active(), "the Vector API is not active: " + Simd.status().describe());
    }

    /** Products of many shapes, plain and transposed, match the reference. */
    @ParameterizedTest(name = "m={0} k={1} n={2} transA={3} transB={4}")
    @CsvSource({
        "1, 1, 16, false, false", "3, 5, 16, false, false", "6, 1, 32, false, false",
        "7, 3, 33, false, false", "13, 17, 47, true, false", "13, 17, 47, false, true",
        "13, 17, 47, true, true", "96, 256, 32, false, false", "97, 257, 65, false, false",
        "100, 600, 70, true, false", "100, 600, 70, false, true", "200, 513, 1030, false, false",
        "64, 576, 1024, false, false", "1024, 576, 64, false, true", "250, 260, 2100, true, true",
        "5, 0, 20, false, false"})
    void matmulMatchesReference(int m, int k, int n, boolean transA, boolean transB) {
        Random r = new Random(m * 31L + k * 7L + n);
        float[] a = random(r, m * k);
        float[] b = random(r, k * n);
        float[] c = random(r, m * n); // stale contents must be overwritten
        SIMD.matmul(1, a, new int[] {0}, transA, b, new int[] {0}, transB, c, m, k, n);
        checkProduct(a, 0, transA, b, 0, transB, c, 0, m, k, n);
    }

    /** A batch with repeated (broadcast) offsets of both operands matches the reference. */
    @Test
    void batchedWithSharedOffsetsMatchesReference() {
        int m = 37;
        int k = 300;
        int n = 70;
        Random r = new Random(5);
        float[] a = random(r, 2 * m * k + 3);
        float[] b = random(r, 3 * k * n + 1);
        int[] aOffsets = {3, 3 + m * k, 3, 3 + m * k, 3};
        int[] bOffsets = {1, 1, 1 + k * n, 1 + 2 * k * n, 1 + k * n};
        float[] c = new float[5 * m * n];
        SIMD.matmul(5, a, aOffsets, false, b, bOffsets, true, c, m, k, n);
        for (int bt = 0; bt < 5; bt++) {
            checkProduct(a, aOffsets[bt], false, b, bOffsets[bt], true, c, bt * m * n, m, k, n);
        }
    }

    /**
     * Convolutions of many geometries, forward and both gradients, match the reference; stride 1
     * with padding below the kernel size takes the transposed-convolution path for the input
     * gradient, the others im2col and col2im.
     */
    @ParameterizedTest(name = "N={0} C={1} {2}x{3} O={4} {5}x{6} stride {7},{8} pad {9},{10} groups {11}")
    @CsvSource({
        "1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1", "2, 3, 5, 7, 4, 3, 3, 1, 1, 1, 1, 1",
        "1, 4, 9, 9, 6, 3, 3, 2, 2, 1, 1, 2", "2, 8, 13, 11, 12, 2, 3, 1, 1, 0, 0, 1",
        "1, 6, 7, 5, 9, 1, 1, 2, 2, 0, 0, 3", "3, 64, 12, 12, 40, 3, 3, 1, 1, 1, 1, 1",
        "2, 40, 33, 35, 33, 3, 3, 2, 2, 1, 1, 1", "1, 16, 70, 70, 8, 5, 5, 1, 1, 2, 2, 2",
        "2, 4, 4, 4, 4, 3, 3, 1, 1, 2, 2, 1", "2, 3, 5, 4, 5, 1, 1, 1, 1, 1, 1, 1",
        "2, 5, 9, 10, 7, 3, 2, 1, 2, 0, 1, 1", "1, 6, 8, 9, 4, 3, 3, 1, 1, 2, 0, 2",
        "1, 2, 6, 40, 3, 3, 3, 3, 1, 1, 1, 1"})
    void convolutionMatchesReference(int batch, int c, int h, int w, int o, int kh, int kw,
                                     int sh, int sw, int ph, int pw, int groups) {
        Conv2dGeometry g = new Conv2dGeometry(batch, c, h, w, o, kh, kw, sh, sw, ph, pw, groups);
        Random r = new Random(batch + 3L * c + 5L * o + h + 7L * w);
        float[] x = random(r, batch * c * h * w);
        float[] wt = random(r, o * (c / groups) * kh * kw);
        float[] gy = random(r, batch * o * g.outHeight() * g.outWidth());
        float[] y = random(r, gy.length); // stale contents must be overwritten
        float[] gx = random(r, x.length);
        float[] gw = random(r, wt.length);
        SIMD.conv2d(g, x, wt, y);
        SIMD.conv2dBackwardInput(g, gy, wt, gx);
        SIMD.conv2dBackwardWeight(g, x, gy, gw);
        ConvReference ref = new ConvReference(g, x, wt, gy);
        check("conv2d", y, ref.y, ref.yScale);
        check("conv2dBackwardInput", gx, ref.gx, ref.gxScale);
        check("conv2dBackwardWeight", gw, ref.gw, ref.gwScale);
    }

    private static float[] random(Random r, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) r.nextGaussian();
        }
        return v;
    }

    /** Checks {@code c[cOff..]} against {@code op(A) · op(B)}, computed in double. */
    private static void checkProduct(float[] a, int aOff, boolean transA, float[] b, int bOff, boolean transB,
                                     float[] c, int cOff, int m, int k, int n) {
        double[] want = new double[m * n];
        double[] scale = new double[m * n];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0;
                double abs = 0;
                for (int p = 0; p < k; p++) {
                    double x = a[aOff + (transA ? p * m + i : i * k + p)];
                    double y = b[bOff + (transB ? j * k + p : p * n + j)];
                    s += x * y;
                    abs += Math.abs(x * y);
                }
                want[i * n + j] = s;
                scale[i * n + j] = abs;
            }
        }
        float[] got = new float[m * n];
        System.arraycopy(c, cOff, got, 0, m * n);
        check("matmul " + m + "x" + k + "x" + n, got, want, scale);
    }

    /** Fails unless {@code |got - want| <= 1e-5 * scale + 1e-6} everywhere; scale sums the |terms|. */
    static void check(String what, float[] got, double[] want, double[] scale) {
        for (int i = 0; i < want.length; i++) {
            if (!(Math.abs(got[i] - want[i]) <= 1e-5 * scale[i] + 1e-6)) {
                fail(what + ": element " + i + " is " + got[i] + ", expected " + want[i]
                        + " (scale " + scale[i] + ")");
            }
        }
    }

    /** A convolution and its gradients in double, by the definition, with the sums of |terms|. */
    private static final class ConvReference {
        final double[] y;
        final double[] yScale;
        final double[] gx;
        final double[] gxScale;
        final double[] gw;
        final double[] gwScale;

        ConvReference(Conv2dGeometry g, float[] x, float[] w, float[] gy) {
            y = new double[gy.length];
            yScale = new double[gy.length];
            gx = new double[x.length];
            gxScale = new double[x.length];
            gw = new double[w.length];
            gwScale = new double[w.length];
            int cg = g.inPerGroup();
            int og = g.outPerGroup();
            for (int n = 0; n < g.batch(); n++) {
                for (int o = 0; o < g.outChannels(); o++) {
                    for (int oy = 0; oy < g.outHeight(); oy++) {
                        for (int ox = 0; ox < g.outWidth(); ox++) {
                            int yi = ((n * g.outChannels() + o) * g.outHeight() + oy) * g.outWidth() + ox;
                            for (int ci = 0; ci < cg; ci++) {
                                int c = o / og * cg + ci;
                                for (int ky = 0; ky < g.kernelH(); ky++) {
                                    for (int kx = 0; kx < g.kernelW(); kx++) {
                                        int iy = oy * g.strideH() - g.padH() + ky;
                                        int ix = ox * g.strideW() - g.padW() + kx;
                                        if (iy < 0 || iy >= g.height() || ix < 0 || ix >= g.width()) {
                                            continue;
                                        }
                                        int xi = ((n * g.inChannels() + c) * g.height() + iy)
                                                * g.width() + ix;
                                        int wi = ((o * cg + ci) * g.kernelH() + ky) * g.kernelW() + kx;
                                        y[yi] += (double) x[xi] * w[wi];
                                        yScale[yi] += Math.abs((double) x[xi] * w[wi]);
                                        gx[xi] += (double) gy[yi] * w[wi];
                                        gxScale[xi] += Math.abs((double) gy[yi] * w[wi]);
                                        gw[wi] += (double) gy[yi] * x[xi];
                                        gwScale[wi] += Math.abs((double) gy[yi] * x[xi]);
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
