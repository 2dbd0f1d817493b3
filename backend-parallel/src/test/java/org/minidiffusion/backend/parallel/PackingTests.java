package org.minidiffusion.backend.parallel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.minidiffusion.core.spi.Conv2dGeometry;

/**
 * Checks {@link Packing} against the panel layout it promises, element by element, for every kind
 * of operand; this needs no Vector API.
 */
class PackingTests {

    /** The value of element {@code (r, p)} of an operand. */
    @FunctionalInterface
    private interface Element {
        float at(int r, int p);
    }

    /** Strided operands pack into zero-padded panels, whichever stride is 1 and however wide. */
    @Test
    void stridedOperandsPack() {
        float[] data = random(3000);
        for (int w : new int[] {6, 32}) {
            checkPack(Packing.strided(data, 7, 1, 40), (r, p) -> data[7 + r + p * 40], 3, 37, 5, 30, w);
            checkPack(Packing.strided(data, 7, 40, 1), (r, p) -> data[7 + r * 40 + p], 2, 35, 4, 30, w);
            checkPack(Packing.strided(data, 0, 3, 50), (r, p) -> data[r * 3 + p * 50], 1, 9, 2, 40, w);
        }
    }

    /** A segmented operand jumps from one segment to the next within a block. */
    @Test
    void segmentedOperandPacks() {
        float[] data = random(2000);
        // (r, p) = data[5 + r * 10 + (p / 10) * 300 + p % 10]
        Packing.Operand op = Packing.segmented(data, 5, 10, 1, 10, 300);
        checkPack(op, (r, p) -> data[5 + r * 10 + p / 10 * 300 + p % 10], 1, 20, 7, 25, 32);
    }

    /** The forward convolution's B packs the im2col matrix, padding and strides included. */
    @Test
    void imageColumnsPackTheIm2colMatrix() {
        Conv2dGeometry g = new Conv2dGeometry(2, 4, 7, 9, 3, 3, 2, 2, 1, 1, 1, 2);
        float[] x = random(2 * 4 * 7 * 9);
        int pixels = g.outHeight() * g.outWidth();
        Packing.Operand op = Packing.imageColumns(g, x, 1, 2, 5);
        checkPack(op, (r, q) -> im2col(g, x, 1, 2, q, 5 + r), 3, pixels - 8, 1, 10, 32);
    }

    /**
     * At stride 1 with the output as wide as the input, im2col rows are shifted copies of the
     * input, and panels span several output rows; the first and last planes of x check that no
     * copy reads outside them.
     */
    @Test
    void sameWidthImageColumnsPackTheIm2colMatrix() {
        Conv2dGeometry[] geometries = {
            new Conv2dGeometry(2, 3, 7, 9, 4, 3, 3, 1, 1, 1, 1, 1),  // "same" 3x3
            new Conv2dGeometry(2, 3, 6, 5, 4, 1, 1, 1, 1, 0, 0, 1),  // 1x1
            new Conv2dGeometry(2, 2, 4, 3, 2, 5, 5, 1, 1, 2, 2, 1),  // padding as wide as the input
            new Conv2dGeometry(2, 3, 5, 4, 2, 2, 1, 1, 1, 0, 0, 1),  // OH < H, OW = W
            new Conv2dGeometry(2, 4, 6, 8, 2, 3, 3, 1, 1, 2, 1, 2),  // OH > H, two groups
        };
        for (Conv2dGeometry g : geometries) {
            float[] x = random(g.batch() * g.inChannels() * g.height() * g.width());
            int pixels = g.outHeight() * g.outWidth();
            int q = g.inPerGroup() * g.kernelH() * g.kernelW();
            int c0 = g.inChannels() - g.inPerGroup();
            for (int n = 0; n < g.batch(); n++) {
                int image = n;
                for (int w : new int[] {6, 32}) {
                    checkPack(Packing.imageColumns(g, x, n, 0, 0), (r, p) -> im2col(g, x, image, 0, p, r),
                            0, pixels, 0, q, w);
                    checkPack(Packing.imageColumns(g, x, n, c0, 2), (r, p) -> im2col(g, x, image, c0, p, 2 + r),
                            1, pixels - 4, 1, q - 1, w);
                }
            }
        }
    }

    /**
     * The weight gradient's A: blocks of im2col rows of all images side by side, row-major, from
     * any row and any (image, pixel) column, across image boundaries, on strided and same-width
     * geometries; written into stale memory, every element and nothing outside the block.
     */
    @Test
    void copyRowsCopiesIm2colRowsOfAllImages() {
        Conv2dGeometry[] geometries = {
            new Conv2dGeometry(3, 4, 5, 6, 2, 3, 3, 1, 2, 1, 0, 2),  // stride (1, 2), no width padding
            new Conv2dGeometry(2, 3, 7, 9, 4, 3, 3, 1, 1, 1, 1, 1),  // "same" 3x3: shifted copies
            new Conv2dGeometry(2, 3, 6, 5, 4, 1, 1, 1, 1, 0, 0, 1),  // 1x1
            new Conv2dGeometry(3, 2, 4, 3, 2, 5, 5, 1, 1, 2, 2, 1),  // padding as wide as the input
            new Conv2dGeometry(2, 4, 6, 8, 2, 3, 3, 1, 1, 2, 1, 2),  // OH > H, two groups
            new Conv2dGeometry(2, 3, 9, 7, 4, 3, 3, 2, 2, 1, 1, 1),  // stride 2, odd sizes
        };
        for (Conv2dGeometry g : geometries) {
            float[] x = random(g.batch() * g.inChannels() * g.height() * g.width());
            int pixels = g.outHeight() * g.outWidth();
            int q = g.inPerGroup() * g.kernelH() * g.kernelW();
            int c0 = g.inChannels() - g.inPerGroup();
            int[][] blocks = {{0, q, 0, g.batch() * pixels}, {1, q - 2, pixels - 3, pixels + 1}, {q - 1, 1, 2, 1}};
            for (int[] b : blocks) {
                int q0 = b[0];
                int rows = b[1];
                int p0 = b[2];
                int kc = b[3];
                float[] got = new float[2 + rows * kc + 2];
                Arrays.fill(got, Float.NaN);
                Im2col.copyRows(g, x, c0, q0, rows, p0, kc, got, 2);
                float[] want = got.clone();
                for (int r = 0; r < rows; r++) {
                    for (int p = 0; p < kc; p++) {
                        want[2 + r * kc + p] = im2col(g, x, (p0 + p) / pixels, c0, q0 + r, (p0 + p) % pixels);
                    }
                }
                for (int i = 2; i < 2 + rows * kc; i++) {
                    assertEquals(want[i], got[i], g + " block " + Arrays.toString(b) + " index " + (i - 2));
                }
                assertTrue(Float.isNaN(got[0]) && Float.isNaN(got[1]) && Float.isNaN(got[got.length - 1]),
                        g + ": wrote outside the block");
            }
        }
    }

    /** Packs a block into stale memory and compares every element of every panel. */
    private static void checkPack(Packing.Operand op, Element want, int r0, int rows, int p0, int kc, int w) {
        int panels = Parallel.ceilDiv(rows, w);
        float[] got = new float[3 + panels * kc * w];
        Arrays.fill(got, Float.NaN);
        op.pack(r0, rows, p0, kc, w, got, 3);
        float[] expected = new float[got.length];
        expected[0] = expected[1] = expected[2] = Float.NaN;
        for (int t = 0; t < panels; t++) {
            for (int p = 0; p < kc; p++) {
                for (int e = 0; e < w; e++) {
                    int r = t * w + e;
                    expected[3 + (t * kc + p) * w + e] = r < rows ? want.at(r0 + r, p0 + p) : 0f;
                }
            }
        }
        assertArrayEquals(expected, got);
    }

    /** Element {@code (q, j)} of image {@code n}'s im2col matrix for the group from channel {@code c0}. */
    private static float im2col(Conv2dGeometry g, float[] x, int n, int c0, int q, int j) {
        int taps = g.kernelH() * g.kernelW();
        int c = c0 + q / taps;
        int iy = j / g.outWidth() * g.strideH() - g.padH() + q % taps / g.kernelW();
        int ix = j % g.outWidth() * g.strideW() - g.padW() + q % g.kernelW();
        boolean inside = iy >= 0 && iy < g.height() && ix >= 0 && ix < g.width();
        return inside ? x[((n * g.inChannels() + c) * g.height() + iy) * g.width() + ix] : 0f;
    }

    private static float[] random(int n) {
        Random r = new Random(n);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = r.nextFloat() + 0.5f; // never zero, so a missing element shows
        }
        return v;
    }
}
