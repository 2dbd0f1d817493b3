package org.minidiffusion.backend.parallel;

import org.minidiffusion.core.spi.Conv2dGeometry;

/**
 * 2-D convolutions on the Vector API path: the products of {@link Convolution}, computed by
 * {@link PackedGemm} with im2col fused into the packing.
 *
 * <p>With {@code col_n} the {@code (Q, P)} im2col matrix of image {@code n} and group {@code g}
 * ({@code Q = C/G * KH * KW} rows, {@code P = OH * OW} pixels) and {@code W_g} the group's
 * {@code (O/G, Q)} weights:
 * <pre>
 *   y[n, g]  = W_g · col_n                      forward: B is read through im2col
 *   dx       = conv(dy, flipped W^T)            backward input at stride 1: a forward convolution
 *   dcol     = W_g^T · dy[n, g]                 backward input otherwise, then col2im adds dcol to dx
 *   dW_g^T   = [col_0 .. col_N-1] · [dy_0 .. dy_N-1]^T
 *                                               backward weight: A is read through im2col
 * </pre>
 * The im2col matrices are never stored whole. In the forward product {@link Packing} writes blocks
 * of {@code col_n} straight into the panels of B; in the weight gradient each task copies a block
 * of im2col rows, of L2 size, which the micro-kernel reads in place as A. Only the strided input
 * gradient keeps an im2col-shaped block, of about {@link #BLOCK} floats per task, for col2im.
 * The weights are always read in place.
 */
final class PackedConvolution {

    /** The target size of a task's {@code dcol} block, in floats (512 KiB). */
    private static final int BLOCK = 1 << 17;

    /** The most output pixels a forward task takes. */
    private static final int MAX_PIXELS = 1024;

    private PackedConvolution() {
    }

    /**
     * Computes {@link org.minidiffusion.core.spi.Kernels#conv2d}, in parallel over (image, group,
     * block of output pixels) and, when those are too few, blocks of output channels.
     *
     * @param g   the geometry
     * @param x   input {@code (N, C, H, W)}
     * @param w   weight {@code (O, C / G, KH, KW)}
     * @param out output {@code (N, O, OH, OW)}
     */
    static void forward(Conv2dGeometry g, float[] x, float[] w, float[] out) {
        Simd.recordUse();
        int pixels = g.outHeight() * g.outWidth();
        int q = g.inPerGroup() * g.kernelH() * g.kernelW();
        int og = g.outPerGroup();
        int planes = g.batch() * g.groups();
        int want = Parallel.ceilDiv(4 * Parallel.CORES, planes);
        int cols = panelBlock(pixels, Math.max(want, Parallel.ceilDiv(pixels, MAX_PIXELS)), SimdGemm.NR);
        int colBlocks = Parallel.ceilDiv(pixels, cols);
        int rows = panelBlock(og, Parallel.ceilDiv(want, colBlocks), 4 * SimdGemm.MR);
        int rowBlocks = Parallel.ceilDiv(og, rows);
        int perPlane = colBlocks * rowBlocks;
        Parallel.parallelFor(planes * perPlane, 2L * planes * og * q * pixels, t -> {
            int n = t / perPlane / g.groups();
            int grp = t / perPlane % g.groups();
            int j0 = t % perPlane / rowBlocks * cols;
            int o0 = grp * og + t % rowBlocks * rows; // first output channel
            // y[n, o0 .. +rows, j0 .. +cols] = W[o0 .. +rows] (rows, Q) · col[:, j0 .. +cols] (Q, cols)
            PackedGemm.multiply(Math.min(rows, (grp + 1) * og - o0), Math.min(cols, pixels - j0), q,
                    Packing.strided(w, o0 * q, q, 1),
                    Packing.imageColumns(g, x, n, grp * g.inPerGroup(), j0),
                    out, (n * g.outChannels() + o0) * pixels + j0, pixels, false);
        });
    }

    /**
     * Computes {@link org.minidiffusion.core.spi.Kernels#conv2dBackwardInput}, in parallel over
     * (image, group, block of input channels), each task owning its channels of {@code gradX}.
     *
     * @param g     the geometry
     * @param gradY gradient of the output {@code (N, O, OH, OW)}
     * @param w     weight {@code (O, C / G, KH, KW)}
     * @param gradX receives the gradient of the input {@code (N, C, H, W)}
     */
    static void backwardInput(Conv2dGeometry g, float[] gradY, float[] w, float[] gradX) {
        if (g.strideH() == 1 && g.strideW() == 1 && g.padH() < g.kernelH() && g.padW() < g.kernelW()) {
            transposed(g, gradY, w, gradX);
            return;
        }
        Simd.recordUse();
        int pixels = g.outHeight() * g.outWidth();
        int taps = g.kernelH() * g.kernelW();
        int cg = g.inPerGroup();
        int q = cg * taps;
        int og = g.outPerGroup();
        int planes = g.batch() * g.groups();
        int parts = Math.max(Parallel.ceilDiv(cg * taps * pixels, BLOCK),
                Parallel.ceilDiv(4 * Parallel.CORES, planes));
        int chans = Parallel.ceilDiv(cg, Math.min(cg, parts));
        int blocks = Parallel.ceilDiv(cg, chans);
        Parallel.parallelFor(planes * blocks, 2L * planes * og * q * pixels, t -> {
            int n = t / blocks / g.groups();
            int grp = t / blocks % g.groups();
            int c0 = t % blocks * chans;
            int nc = Math.min(chans, cg - c0);
            float[] dcol = Scratch.take(Scratch.BLOCK, nc * taps * pixels); // (nc * taps, P)
            // dcol = W_g^T[c0 * taps .. +nc * taps] (nc * taps, og) · dy[n, g] (og, P)
            PackedGemm.multiply(nc * taps, pixels, og,
                    Packing.strided(w, grp * og * q + c0 * taps, 1, q),
                    Packing.strided(gradY, (n * g.outChannels() + grp * og) * pixels, 1, pixels),
                    dcol, 0, pixels, false);
            Im2col.col2im(g, dcol, n, grp * cg + c0, nc, gradX);
            Scratch.give(Scratch.BLOCK, dcol);
        });
    }

    /**
     * Computes the input gradient of a stride-1 convolution as a forward convolution of
     * {@code gradY} with the flipped, transposed weights and padding {@code K - 1 - pad}, which
     * needs neither an im2col-shaped block nor col2im:
     * {@code dx[c][iy][ix] = sum_{o, ky, kx} dy[o][iy + pH - ky][ix + pW - kx] W[o][c][ky][kx]}.
     */
    private static void transposed(Conv2dGeometry g, float[] gradY, float[] w, float[] gradX) {
        int kh = g.kernelH();
        int kw = g.kernelW();
        int cg = g.inPerGroup();
        int og = g.outPerGroup();
        float[] flipped = Scratch.take(Scratch.SHARED, w.length); // (C, O/G, KH, KW)
        for (int o = 0; o < g.outChannels(); o++) {
            for (int c = 0; c < cg; c++) {
                int src = (o * cg + c) * kh * kw; // W[o][c]
                int dst = ((o / og * cg + c) * og + o % og) * kh * kw; // W'[group's c][o within group]
                for (int t = 0; t < kh * kw; t++) {
                    flipped[dst + kh * kw - 1 - t] = w[src + t];
                }
            }
        }
        Conv2dGeometry t = new Conv2dGeometry(g.batch(), g.outChannels(), g.outHeight(), g.outWidth(),
                g.inChannels(), kh, kw, 1, 1, kh - 1 - g.padH(), kw - 1 - g.padW(), g.groups());
        forward(t, gradY, flipped, gradX);
        Scratch.give(Scratch.SHARED, flipped);
    }

    /**
     * Computes {@link org.minidiffusion.core.spi.Kernels#conv2dBackwardWeight}: per group, the
     * output gradients of all images are packed once, then tasks over (group, block of im2col
     * rows) each compute their rows of {@code dW_g^T}, summing over the whole batch, and write
     * them transposed into {@code gradW}.
     *
     * @param g     the geometry
     * @param x     input {@code (N, C, H, W)}
     * @param gradY gradient of the output {@code (N, O, OH, OW)}
     * @param gradW receives the gradient of the weight {@code (O, C / G, KH, KW)}
     */
    static void backwardWeight(Conv2dGeometry g, float[] x, float[] gradY, float[] gradW) {
        Simd.recordUse();
        int pixels = g.outHeight() * g.outWidth();
        int q = g.inPerGroup() * g.kernelH() * g.kernelW();
        int og = g.outPerGroup();
        int k = g.batch() * pixels; // the contraction runs over (image, pixel)
        int size = PackedGemm.packedSize(og, k);
        float[] shared = Scratch.take(Scratch.SHARED, g.groups() * size);
        packGradients(g, gradY, shared);
        int rows = panelBlock(q, Parallel.ceilDiv(4 * Parallel.CORES, g.groups()), 4 * SimdGemm.MR);
        int blocks = Parallel.ceilDiv(q, rows);
        Parallel.parallelFor(g.groups() * blocks, 2L * g.groups() * og * q * k, t -> {
            int grp = t / blocks;
            int q0 = t % blocks * rows;
            int nq = Math.min(rows, q - q0);
            float[] dwt = Scratch.take(Scratch.BLOCK, nq * og); // dW_g^T[q0 .. +nq] (nq, og)
            PackedGemm.multiplyPacked(0, nq, 0, og, og, k,
                    Packing.imageRows(g, x, grp * g.inPerGroup(), q0), shared, grp * size, dwt, 0, og, false);
            for (int o = 0; o < og; o++) {
                int dst = (grp * og + o) * q + q0; // gradW[grp * og + o][q0 ..]
                for (int i = 0; i < nq; i++) {
                    gradW[dst + i] = dwt[i * og + o];
                }
            }
            Scratch.give(Scratch.BLOCK, dwt);
        });
        Scratch.give(Scratch.SHARED, shared);
    }

    /**
     * Packs, for every group, {@code dy^T} as the B operand of the weight gradient: element
     * {@code (n P + j, o)} is {@code gradY[n][g O/G + o][j]}.
     */
    private static void packGradients(Conv2dGeometry g, float[] gradY, float[] dst) {
        int pixels = g.outHeight() * g.outWidth();
        int og = g.outPerGroup();
        int k = g.batch() * pixels;
        int size = PackedGemm.packedSize(og, k);
        int panels = Parallel.ceilDiv(og, SimdGemm.NR);
        int kb = PackedGemm.kBlock(k);
        int kBlocks = Parallel.ceilDiv(k, kb);
        Parallel.parallelFor(g.groups() * kBlocks, (long) g.groups() * og * k, t -> {
            int grp = t / kBlocks;
            Packing.Operand dyT = Packing.segmented(gradY, grp * og * pixels, pixels, 1,
                    pixels, g.outChannels() * pixels);
            PackedGemm.packAll(dyT, og, k, t % kBlocks * kb, 0, panels, dst, grp * size);
        });
    }

    /**
     * Returns a block size that cuts {@code size} into about {@code parts} blocks, rounded up to a
     * multiple of {@code multiple}, at most {@code size} rounded up.
     */
    private static int panelBlock(int size, int parts, int multiple) {
        int block = Parallel.ceilDiv(size, Math.max(1, parts));
        return Math.min(PackedGemm.roundUp(size, multiple), PackedGemm.roundUp(block, multiple));
    }
}
