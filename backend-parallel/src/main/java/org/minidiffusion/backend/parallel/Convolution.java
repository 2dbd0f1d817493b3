package org.minidiffusion.backend.parallel;

import java.util.Arrays;

import org.minidiffusion.core.spi.Conv2dGeometry;

/**
 * 2-D convolutions lowered to {@link Gemm} through im2col.
 *
 * <p>For image {@code n} and group {@code g}, the im2col matrix {@code col} has one row per
 * {@code (ci, ky, kx)} of the group's input channels and kernel taps, {@code Q = C/G * KH * KW} rows,
 * and one column per output pixel, {@code P = OH * OW} columns:
 * {@code col[(ci, ky, kx)][(oy, ox)] = x[n][g C/G + ci][oy sH - pH + ky][ox sW - pW + kx]}, zero in
 * the padding. With the group's weights {@code W_g}, an {@code (O/G, Q)} matrix, the three products are
 * <pre>
 *   y[n, g]   = W_g · col                  forward
 *   dcol      = W_g^T · dy[n, g]           backward input, then col2im adds dcol back into dx
 *   dW_g     += dy[n, g] · col^T           backward weight, summed over the batch
 * </pre>
 * Each task builds only a block of {@code col} (a block of pixels, or of input channels) of about
 * {@link #COL_BUFFER} floats, so that it stays in L2, and no two tasks write the same output element.
 */
final class Convolution {

    /** The target size of a task's im2col block in floats, 256 KiB. */
    private static final int COL_BUFFER = 1 << 16;

    private Convolution() {
    }

    /**
     * Computes {@link org.minidiffusion.core.spi.Kernels#conv2d}, in parallel over (image, group,
     * block of output pixels) and, when those are too few to go round, blocks of output channels,
     * each of which then builds the same im2col block for itself.
     */
    static void forward(Conv2dGeometry g, float[] x, float[] w, float[] out) {
        int pixels = g.outHeight() * g.outWidth();
        int q = g.inPerGroup() * g.kernelH() * g.kernelW();
        int og = g.outPerGroup();
        int planes = g.batch() * g.groups();
        int block = blockSize(pixels, Math.max(32, COL_BUFFER / q), 32, planes);
        int blocks = Parallel.ceilDiv(pixels, block);
        int rows = Math.min(og, 4 * Parallel.ceilDiv(blockSize(og, og, 16, planes * blocks), 4));
        int rowBlocks = Parallel.ceilDiv(og, rows);
        int perPlane = blocks * rowBlocks;
        Parallel.parallelFor(planes * perPlane, 2L * planes * og * q * pixels, t -> {
            int n = t / perPlane / g.groups();
            int grp = t / perPlane % g.groups();
            int p0 = t % perPlane / rowBlocks * block;
            int np = Math.min(block, pixels - p0);
            int o0 = grp * og + t % rowBlocks * rows; // first output channel
            float[] col = Scratch.take(Scratch.BLOCK, q * np); // (Q, np), written whole by im2col
            im2col(g, x, n, grp * g.inPerGroup(), p0, np, col);
            // y[n, o0 .. +rows, p0 .. +np] = W[o0 .. +rows] (rows, Q) · col (Q, np)
            Gemm.multiply(Math.min(rows, (grp + 1) * og - o0), q, np, w, o0 * q, q, 1, col, 0, np,
                    out, (n * g.outChannels() + o0) * pixels + p0, pixels, false);
            Scratch.give(Scratch.BLOCK, col);
        });
    }

    /**
     * Computes {@link org.minidiffusion.core.spi.Kernels#conv2dBackwardInput}, in parallel over
     * (image, group, block of input channels), each task owning its channels of {@code gradX}.
     */
    static void backwardInput(Conv2dGeometry g, float[] gradY, float[] w, float[] gradX) {
        int pixels = g.outHeight() * g.outWidth();
        int taps = g.kernelH() * g.kernelW();
        int cg = g.inPerGroup();
        int q = cg * taps;
        int og = g.outPerGroup();
        int planes = g.batch() * g.groups();
        int chans = blockSize(cg, Math.max(1, COL_BUFFER / (taps * pixels)), 1, planes);
        int blocks = Parallel.ceilDiv(cg, chans);
        Parallel.parallelFor(planes * blocks, 2L * planes * og * q * pixels, t -> {
            int n = t / blocks / g.groups();
            int grp = t / blocks % g.groups();
            int c0 = t % blocks * chans;
            int nc = Math.min(chans, cg - c0);
            float[] col = Scratch.take(Scratch.BLOCK, nc * taps * pixels); // (nc * taps, P), written whole
            // dcol = W_g^T (nc * taps, og), read in place from w (og, Q), times dy[n, g] (og, P)
            Gemm.multiply(nc * taps, og, pixels, w, grp * og * q + c0 * taps, 1, q,
                    gradY, (n * g.outChannels() + grp * og) * pixels, pixels, col, 0, pixels, false);
            col2im(g, col, n, grp * cg + c0, nc, gradX);
            Scratch.give(Scratch.BLOCK, col);
        });
    }

    /**
     * Computes {@link org.minidiffusion.core.spi.Kernels#conv2dBackwardWeight}, in parallel over
     * (group, block of input channels): each task owns those columns of {@code gradW} and sums over
     * the whole batch itself.
     */
    static void backwardWeight(Conv2dGeometry g, float[] x, float[] gradY, float[] gradW) {
        int pixels = g.outHeight() * g.outWidth();
        int taps = g.kernelH() * g.kernelW();
        int cg = g.inPerGroup();
        int q = cg * taps;
        int og = g.outPerGroup();
        int chans = blockSize(cg, cg, 1, g.groups());
        int blocks = Parallel.ceilDiv(cg, chans);
        long work = 2L * g.batch() * g.outChannels() * q * pixels;
        Parallel.parallelFor(g.groups() * blocks, work, t -> {
            int grp = t / blocks;
            int c0 = t % blocks * chans;
            int cols = Math.min(chans, cg - c0) * taps;
            int wOff = grp * og * q + c0 * taps; // gradW (og, cols) at row grp * og, column c0 * taps
            for (int o = 0; o < og; o++) {
                Arrays.fill(gradW, wOff + o * q, wOff + o * q + cols, 0f);
            }
            int block = Math.min(pixels, Math.max(32, COL_BUFFER / cols));
            float[] rows = Scratch.take(Scratch.BLOCK, block * cols); // (np, cols), col^T, written by im2row
            for (int n = 0; n < g.batch(); n++) {
                for (int p0 = 0; p0 < pixels; p0 += block) {
                    int np = Math.min(block, pixels - p0);
                    im2row(g, x, n, grp * cg + c0, cols / taps, p0, np, rows);
                    // dW_g (og, cols) += dy[n, g, :, p0 .. +np] (og, np) · col^T (np, cols)
                    int yOff = (n * g.outChannels() + grp * og) * pixels + p0;
                    Gemm.multiply(og, np, cols, gradY, yOff, pixels, 1, rows, 0, cols, gradW, wOff, q, true);
                }
            }
            Scratch.give(Scratch.BLOCK, rows);
        });
    }

    /**
     * Returns the size of the blocks {@code size} is cut into: at most {@code max} and at least
     * {@code min} (within {@code [1, size]}), and small enough that, next to {@code others}
     * independent tasks, there are about 4 tasks per core.
     */
    private static int blockSize(int size, int max, int min, int others) {
        int block = Math.min(max, Parallel.ceilDiv(size, Parallel.ceilDiv(4 * Parallel.CORES, others)));
        return Math.max(1, Math.min(size, Math.max(min, block)));
    }

    /**
     * Fills {@code col (Q, np)} with the columns {@code [p0, p0 + np)} of image {@code n}'s im2col
     * matrix for the group whose input channels start at {@code c0}.
     */
    private static void im2col(Conv2dGeometry g, float[] x, int n, int c0, int p0, int np, float[] col) {
        int planeSize = g.height() * g.width();
        int r = 0;
        for (int ci = 0; ci < g.inPerGroup(); ci++) {
            int plane = (n * g.inChannels() + c0 + ci) * planeSize; // x[n][c0 + ci] (H, W)
            for (int ky = 0; ky < g.kernelH(); ky++) {
                for (int kx = 0; kx < g.kernelW(); kx++, r++) {
                    im2colTap(g, x, plane, ky, kx, p0, np, col, r * np);
                }
            }
        }
    }

    /**
     * Writes one row of the im2col matrix, for kernel tap {@code (ky, kx)} of the input plane at
     * {@code x[plane]}, over pixels {@code [p0, p0 + np)}, to {@code col[dst]}.
     */
    private static void im2colTap(Conv2dGeometry g, float[] x, int plane, int ky, int kx,
                                  int p0, int np, float[] col, int dst) {
        int h = g.height();
        int w = g.width();
        int ow = g.outWidth();
        int j = 0;
        while (j < np) {
            // one segment of output row oy: pixels (oy, ox0 .. ox0 + len)
            int oy = (p0 + j) / ow;
            int ox0 = (p0 + j) % ow;
            int len = Math.min(ow - ox0, np - j);
            int iy = oy * g.strideH() - g.padH() + ky;
            if (iy < 0 || iy >= h) {
                Arrays.fill(col, dst + j, dst + j + len, 0f);
            } else {
                int src = plane + iy * w;
                for (int i = 0; i < len; i++) {
                    int ix = (ox0 + i) * g.strideW() - g.padW() + kx;
                    col[dst + j + i] = ix >= 0 && ix < w ? x[src + ix] : 0f;
                }
            }
            j += len;
        }
    }

    /**
     * Fills {@code rows (np, nc * KH * KW)} with the transpose of the im2col matrix of image
     * {@code n}, restricted to input channels {@code [c0, c0 + nc)} and pixels {@code [p0, p0 + np)}.
     */
    private static void im2row(Conv2dGeometry g, float[] x, int n, int c0, int nc, int p0, int np,
                               float[] rows) {
        int h = g.height();
        int w = g.width();
        int ow = g.outWidth();
        int cols = nc * g.kernelH() * g.kernelW();
        for (int j = 0; j < np; j++) {
            int oy = (p0 + j) / ow;
            int ox = (p0 + j) % ow;
            int dst = j * cols;
            for (int c = 0; c < nc; c++) {
                int plane = (n * g.inChannels() + c0 + c) * h * w; // x[n][c0 + c] (H, W)
                for (int ky = 0; ky < g.kernelH(); ky++) {
                    int iy = oy * g.strideH() - g.padH() + ky;
                    boolean rowInside = iy >= 0 && iy < h;
                    for (int kx = 0; kx < g.kernelW(); kx++) {
                        int ix = ox * g.strideW() - g.padW() + kx;
                        rows[dst++] = rowInside && ix >= 0 && ix < w ? x[plane + iy * w + ix] : 0f;
                    }
                }
            }
        }
    }

    /**
     * Zeroes input channels {@code [c0, c0 + nc)} of image {@code n} in {@code gradX}, then adds
     * {@code col (nc * KH * KW, P)} back into them, the adjoint of {@link #im2col}.
     */
    private static void col2im(Conv2dGeometry g, float[] col, int n, int c0, int nc, float[] gradX) {
        int h = g.height();
        int w = g.width();
        int ow = g.outWidth();
        int pixels = g.outHeight() * ow;
        int r = 0;
        for (int c = 0; c < nc; c++) {
            int plane = (n * g.inChannels() + c0 + c) * h * w; // dx[n][c0 + c] (H, W)
            Arrays.fill(gradX, plane, plane + h * w, 0f);
            for (int ky = 0; ky < g.kernelH(); ky++) {
                for (int kx = 0; kx < g.kernelW(); kx++, r++) {
                    for (int oy = 0; oy < g.outHeight(); oy++) {
                        int iy = oy * g.strideH() - g.padH() + ky;
                        if (iy < 0 || iy >= h) {
                            continue;
                        }
                        int src = r * pixels + oy * ow;
                        int dst = plane + iy * w;
                        for (int ox = 0; ox < ow; ox++) {
                            int ix = ox * g.strideW() - g.padW() + kx;
                            if (ix >= 0 && ix < w) {
                                gradX[dst + ix] += col[src + ox];
                            }
                        }
                    }
                }
            }
        }
    }
}
