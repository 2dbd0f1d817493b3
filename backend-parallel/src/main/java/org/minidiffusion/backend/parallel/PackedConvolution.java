package org.minidiffusion.backend.parallel;

import java.util.Arrays;

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
 * of im2col rows, of L2 size, which the micro-kernel reads in place as A, and the micro-kernel's
 * tiles of {@code dW_g^T} are stored transposed, straight into {@code gradW}. Only the strided input
 * gradient keeps an im2col-shaped block, of about {@link #BLOCK} floats per task, for col2im.
 * The weights are always read in place.
 */
final class PackedConvolution {

    /** The target size of a task's {@code dcol} block, in floats (512 KiB). */
    private static final int BLOCK = 1 << 17;

    /** The most floats of packed output gradients a weight gradient holds at once (16 MiB). */
    private static final int MAX_SHARED = 1 << 22;

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
     * Computes {@link org.minidiffusion.core.spi.Kernels#conv2dBackwardWeight}, in parallel over
     * (group, block of im2col rows), about four tasks per core; see {@link #backwardWeight(Conv2dGeometry,
     * float[], float[], float[], int, int)}.
     *
     * @param g     the geometry
     * @param x     input {@code (N, C, H, W)}
     * @param gradY gradient of the output {@code (N, O, OH, OW)}
     * @param gradW receives the gradient of the weight {@code (O, C / G, KH, KW)}
     */
    static void backwardWeight(Conv2dGeometry g, float[] x, float[] gradY, float[] gradW) {
        backwardWeight(g, x, gradY, gradW, MAX_SHARED, Parallel.ceilDiv(4 * Parallel.CORES, g.groups()));
    }

    /**
     * Computes the weight gradient {@code dW_g^T (Q, O/G) = [col_0 .. col_N-1] · [dy_0 .. dy_N-1]^T}
     * of each group, the contraction running over (image, pixel), {@code N P} steps in blocks of
     * {@link PackedGemm#kBlock}.
     *
     * <p>The output gradients, B, are packed once per call for all tasks, in rounds of contraction
     * blocks of at most {@code maxShared} floats. Each task owns a block of im2col rows, that is of
     * columns of {@code gradW}: for each contraction block it copies those rows of the im2col
     * matrices, of L2 size, which the micro-kernel reads in place as A, and it keeps the partial
     * sums of the earlier blocks in a row-major block; the last block of a round adds them and
     * writes the result transposed into {@code gradW} ({@link SimdGemm#blockTransposed}), adding
     * to the rounds before. Every element of {@code gradW} is thus summed by one task in a fixed
     * order, the same whatever the number of threads and their timing.
     *
     * @param g         the geometry
     * @param x         input {@code (N, C, H, W)}
     * @param gradY     gradient of the output {@code (N, O, OH, OW)}
     * @param gradW     receives the gradient of the weight {@code (O, C / G, KH, KW)}
     * @param maxShared the most floats of packed output gradients held at once
     * @param parts     about how many blocks of im2col rows each group is cut into
     */
    static void backwardWeight(Conv2dGeometry g, float[] x, float[] gradY, float[] gradW, int maxShared,
                               int parts) {
        Simd.recordUse();
        int q = g.inPerGroup() * g.kernelH() * g.kernelW();
        int og = g.outPerGroup();
        int k = g.batch() * g.outHeight() * g.outWidth(); // the contraction runs over (image, pixel)
        if (k == 0) {
            Arrays.fill(gradW, 0, g.outChannels() * q, 0f);
            return;
        }
        int kb = PackedGemm.kBlock(k);
        int kBlocks = Parallel.ceilDiv(k, kb);
        int perBlock = PackedGemm.packedSize(og, kb); // floats of one packed contraction block of a group
        int roundBlocks = Math.max(1, Math.min(kBlocks, maxShared / (g.groups() * perBlock)));
        int rows = panelBlock(q, parts, SimdGemm.MR);
        int qBlocks = Parallel.ceilDiv(q, rows);
        float[] shared = Scratch.take(Scratch.SHARED, g.groups() * roundBlocks * perBlock);
        for (int b0 = 0; b0 < kBlocks; b0 += roundBlocks) {
            int first = b0 * kb; // the round's first contraction step
            int steps = Math.min(k - first, roundBlocks * kb);
            int size = PackedGemm.packedSize(og, steps); // floats of the round's packed B of a group
            boolean add = b0 > 0;
            packGradients(g, gradY, first, steps, kb, shared, size);
            Parallel.parallelFor(g.groups() * qBlocks, 2L * g.groups() * og * q * steps, t -> {
                int grp = t / qBlocks;
                int q0 = t % qBlocks * rows;
                weightRows(g, x, grp, q0, Math.min(rows, q - q0), first, steps, kb, shared, grp * size,
                        gradW, add);
            });
        }
        Scratch.give(Scratch.SHARED, shared);
    }

    /**
     * Computes rows {@code [q0, q0 + nq)} of group {@code grp}'s {@code dW_g^T} over contraction
     * steps {@code [first, first + steps)}, with B packed at {@code bp[bOff]}, and writes them,
     * transposed, to {@code gradW}, or adds them there when {@code add}.
     */
    private static void weightRows(Conv2dGeometry g, float[] x, int grp, int q0, int nq, int first, int steps,
                                   int kb, float[] bp, int bOff, float[] gradW, boolean add) {
        int mr = SimdGemm.MR;
        int og = g.outPerGroup();
        int q = g.inPerGroup() * g.kernelH() * g.kernelW();
        int panels = Parallel.ceilDiv(og, SimdGemm.NR);
        int most = Math.min(nq, PackedGemm.MC);
        float[] ap = Scratch.take(Scratch.A, PackedGemm.roundUp(most, mr) * Math.min(kb, steps));
        float[] tile = Scratch.take(Scratch.TILE, mr * SimdGemm.NR);
        float[] partial = steps > kb ? Scratch.take(Scratch.BLOCK, most * og) : null; // (mc, og)
        for (int i = 0; i < nq; i += PackedGemm.MC) {
            int mc = Math.min(PackedGemm.MC, nq - i);
            int wOff = grp * og * q + q0 + i; // gradW[grp * og][q0 + i]: element (r, o) at wOff + o * q + r
            for (int s = 0; s < steps; s += kb) {
                int kc = Math.min(kb, steps - s);
                // A: col[q0 + i .. +mc] (mc, kc), row-major; the rows that pad the last panel are zero
                Im2col.copyRows(g, x, grp * g.inPerGroup(), q0 + i, mc, first + s, kc, ap, 0);
                Arrays.fill(ap, mc * kc, PackedGemm.roundUp(mc, mr) * kc, 0f);
                int block = bOff + s * panels * SimdGemm.NR; // the packed B of steps [s, s + kc)
                if (s + kc < steps) {
                    // partial (mc, og) (+)= col (mc, kc) · dy^T (kc, og)
                    SimdGemm.block(mc, og, kc, ap, 0, mr * kc, kc, 1, bp, block, partial, 0, og, s > 0, tile);
                } else {
                    // gradW^T (mc, og) (+)= partial + col (mc, kc) · dy^T (kc, og)
                    SimdGemm.blockTransposed(mc, og, kc, ap, 0, mr * kc, kc, 1, bp, block,
                            s > 0 ? partial : null, 0, og, gradW, wOff, q, add, tile);
                }
            }
        }
        if (partial != null) {
            Scratch.give(Scratch.BLOCK, partial);
        }
        Scratch.give(Scratch.TILE, tile);
        Scratch.give(Scratch.A, ap);
    }

    /**
     * Packs, for every group, steps {@code [first, first + steps)} of {@code dy^T} as the B operand
     * of the weight gradient, in blocks of {@code kb} steps, each block all its panels: element
     * {@code (n P + j, o)} is {@code gradY[n][g O/G + o][j]}. Group {@code g}'s starts at
     * {@code dst[g * size]}. In parallel over (group, block, group of panels).
     */
    private static void packGradients(Conv2dGeometry g, float[] gradY, int first, int steps, int kb,
                                      float[] dst, int size) {
        int pixels = g.outHeight() * g.outWidth();
        int og = g.outPerGroup();
        int nr = SimdGemm.NR;
        int panels = Parallel.ceilDiv(og, nr);
        int kBlocks = Parallel.ceilDiv(steps, kb);
        int per = Parallel.ceilDiv(panels, Math.min(panels, Parallel.ceilDiv(4 * Parallel.CORES,
                g.groups() * kBlocks))); // panels per piece
        int chunks = Parallel.ceilDiv(panels, per);
        int pieces = kBlocks * chunks; // per group
        Parallel.parallelFor(g.groups() * pieces, (long) g.groups() * og * steps, t -> {
            int grp = t / pieces;
            int s = t % pieces / chunks * kb;
            int r0 = t % chunks * per * nr; // the first output channel
            int kc = Math.min(kb, steps - s);
            // dy^T of the group (N P, O/G): element (n P + j, o) at gradY[(n O + grp O/G + o) P + j]
            Packing.segmented(gradY, grp * og * pixels, pixels, 1, pixels, g.outChannels() * pixels)
                    .pack(r0, Math.min(og - r0, per * nr), first + s, kc, nr, dst,
                            grp * size + s * panels * nr + r0 * kc);
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
