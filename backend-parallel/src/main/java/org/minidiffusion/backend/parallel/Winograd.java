package org.minidiffusion.backend.parallel;

import java.util.Arrays;

import org.minidiffusion.core.spi.Conv2dGeometry;

/**
 * 3x3 stride-1 convolutions by Winograd's minimal filtering {@code F(2x2, 3x3)}, after A. Lavin and
 * S. Gray, "Fast Algorithms for Convolutional Neural Networks" (CVPR 2016, arXiv:1509.09308), §4.
 *
 * <p>The output planes are cut into 2x2 tiles; tile {@code b} reads a 4x4 patch {@code d} of every
 * input channel. With the filter and data transforms {@code U = G g G^T} and {@code V = B^T d B}
 * (§4.1)
 * <pre>
 *   B^T = [1  0 -1  0]     G = [  1    0    0 ]     A^T = [1  1  1  0]
 *         [0  1  1  0]         [ 1/2  1/2  1/2]           [0  1 -1 -1]
 *         [0 -1  1  0]         [ 1/2 -1/2  1/2]
 *         [0  1  0 -1]         [  0    0    1 ]
 * </pre>
 * the output tile of channel {@code k} is
 * <pre>
 *   M[k, b] = sum_c U[k, c] ⊙ V[c, b]        (4 x 4)
 *   Y[k, b] = A^T M[k, b] A                  (2 x 2)
 * </pre>
 * and, taken element by element of the 4x4 transform domain, the sum over channels is 16 independent
 * matrix products, {@code M^(ξ) (O, tiles) = U^(ξ) (O, C) · V^(ξ) (C, tiles)}, which run on the
 * backend's GEMM: {@link SimdGemm#block} on the Vector API path, the data transform writing each
 * {@code V^(ξ)} straight into its packed panels, else {@link Gemm#multiply}. That is 16
 * multiplications per 4 outputs where the direct method takes 36, 2.25 times fewer.
 *
 * <p>The filters are transformed once per call, in parallel, into a shared {@code (16, O, C)}
 * array; that costs about as much as the products save on a few dozen tiles, so below
 * {@value #MIN_TILES} tiles {@link #suits} leaves the convolution to im2col. Then tasks over blocks
 * of tiles, numbered across images so that small planes still fill the micro-kernel's panels, each
 * transform their patches, run the 16 products and transform the results back, in a scratch block
 * sized to stay in L2. The data transform walks a run of tiles along a tile row with the 4 patch
 * rows in registers, so that each input column is loaded and transformed down ({@code B^T d}) once
 * for the two tiles that share it; the inverse transform runs on {@link WinogradSimd} on the Vector
 * API path, a vector of tiles at a time, else likewise along a run of tiles. The 16 matrices
 * {@code V^(ξ)} and {@code M^(ξ)} lie a little more than a multiple of their size apart
 * ({@link #SKEW}), since the transforms touch all 16 at once. Patches in the padding read zeros and
 * tiles past the right or bottom edge are clipped, so any padding and odd sizes work.
 *
 * <p>The input gradient of a stride-1 convolution with padding {@code p <= 2} is the forward
 * convolution of {@code dy} with the flipped, transposed filters and padding {@code 2 - p} (as in
 * {@link PackedConvolution}); the flip and the transpose are folded into the filter transform.
 *
 * <p>Accuracy: the transforms add roundings of their own (B and A hold only 0 and ±1, G halves),
 * so results differ from the direct method by about as much as the im2col path's do. Against a
 * double-precision direct convolution, with inputs of order 1 and weights scaled by
 * {@code fanIn^-1/2} (outputs of order 1), {@code WinogradTests} measured a worst absolute error of
 * {@code 1.8e-6}, at most 0.13 of the kit's {@code DEFAULT} tolerance, over its shapes (64 -> 64
 * channels at 32x32: {@code 1.7e-6}; the im2col path there: {@code 1.9e-6} on the Vector API,
 * {@code 2.6e-6} in plain Java). {@code F(4x4, 3x3)}, whose transforms hold 1/24, 5 and 8,
 * measured {@code 3.0e-5} for 64 -> 64 channels, three times the tolerance, and is not used.
 */
final class Winograd {

    /** The target size of a task's block of transformed patches and products, in floats (1 MiB). */
    private static final int BLOCK = 1 << 18;

    /**
     * Floats added to the distance from one {@code V^(ξ)} or {@code M^(ξ)} to the next, a cache
     * line, so that the 16 of them, which the transforms read or write together, do not fall into
     * the same L1 set when their size is a multiple of 4 KiB.
     */
    private static final int SKEW = 16;

    /** The fewest output tiles, over the batch, for which {@link #suits} takes this path. */
    static final int MIN_TILES = 128;

    private Winograd() {
    }

    /**
     * Returns whether {@link #forward} computes this convolution: a 3x3 kernel at stride 1, one
     * group, and enough channels and tiles for the transforms to pay.
     *
     * @param g the geometry
     * @return whether to use this class for {@code conv2d}
     */
    static boolean suits(Conv2dGeometry g) {
        return g.kernelH() == 3 && g.kernelW() == 3 && g.strideH() == 1 && g.strideW() == 1
                && g.groups() == 1 && large(g.inChannels(), g.outChannels(), g.batch(), g.outHeight(), g.outWidth());
    }

    /**
     * Returns whether {@link #backwardInput} computes this convolution's input gradient: as
     * {@link #suits}, with a padding of at most 2, so that the transposed convolution is a padded one.
     *
     * @param g the geometry of the forward convolution
     * @return whether to use this class for {@code conv2dBackwardInput}
     */
    static boolean suitsBackwardInput(Conv2dGeometry g) {
        return g.kernelH() == 3 && g.kernelW() == 3 && g.strideH() == 1 && g.strideW() == 1
                && g.groups() == 1 && g.padH() <= 2 && g.padW() <= 2
                && large(g.outChannels(), g.inChannels(), g.batch(), g.height(), g.width());
    }

    /**
     * Returns whether a convolution of {@code c -> o} channels onto {@code n} planes of {@code oh x ow}
     * pays for the transforms: the filter transform, {@code 16 c o} values per call, costs about as
     * much as the products save on a few dozen tiles, and few channels leave too little to save.
     * Measured (indicative, on a loaded 2-core machine): 256 -> 256 channels at 8x8 took 1.7 times
     * im2col's time for one image (16 tiles) and, inside the U-Net's training step, between 0.75 and
     * 1.3 times for four (64 tiles), depending on the channels; 16x16 and 32x32 planes at batch 4
     * (256 and 1024 tiles) took 0.5 to 0.85 times.
     */
    private static boolean large(int c, int o, int n, int oh, int ow) {
        return c >= 16 && o >= 16 && (long) n * Parallel.ceilDiv(oh, 2) * Parallel.ceilDiv(ow, 2) >= MIN_TILES;
    }

    /**
     * Computes {@link org.minidiffusion.core.spi.Kernels#conv2d} for a 3x3 stride-1 geometry of
     * one group.
     *
     * @param g    the geometry
     * @param x    input {@code (N, C, H, W)}
     * @param w    weight {@code (O, C, 3, 3)}
     * @param out  output {@code (N, O, OH, OW)}
     * @param simd whether the products run on the Vector API
     */
    static void forward(Conv2dGeometry g, float[] x, float[] w, float[] out, boolean simd) {
        run(g, x, w, false, out, simd);
    }

    /**
     * Computes {@link org.minidiffusion.core.spi.Kernels#conv2dBackwardInput} for a 3x3 stride-1
     * geometry of one group and padding at most 2:
     * {@code dx[c][iy][ix] = sum_{o, ky, kx} dy[o][iy + p - ky][ix + p - kx] W[o][c][ky][kx]}, the
     * convolution of {@code dy}, padded by {@code 2 - p}, with the filters {@code W'[c][o] = flip(W[o][c])}.
     *
     * @param g     the geometry of the forward convolution
     * @param gradY gradient of the output {@code (N, O, OH, OW)}
     * @param w     weight {@code (O, C, 3, 3)}
     * @param gradX receives the gradient of the input {@code (N, C, H, W)}
     * @param simd  whether the products run on the Vector API
     */
    static void backwardInput(Conv2dGeometry g, float[] gradY, float[] w, float[] gradX, boolean simd) {
        Conv2dGeometry t = new Conv2dGeometry(g.batch(), g.outChannels(), g.outHeight(), g.outWidth(),
                g.inChannels(), 3, 3, 1, 1, 2 - g.padH(), 2 - g.padW(), 1);
        run(t, gradY, w, true, gradX, simd);
    }

    /**
     * Convolves {@code x} by geometry {@code g}; the filter of output channel {@code k} and input
     * channel {@code c} is {@code w[k][c]}, or, when {@code transposed}, {@code flip(w[c][k])}.
     */
    private static void run(Conv2dGeometry g, float[] x, float[] w, boolean transposed, float[] out,
                            boolean simd) {
        if (simd) {
            Simd.recordUse();
        }
        int cin = g.inChannels();
        int cout = g.outChannels();
        int rows = simd ? PackedGemm.roundUp(cout, SimdGemm.MR) : cout; // U^(ξ) padded to whole panels
        int uStride = rows * cin + SKEW; // from one U^(ξ) to the next
        float[] u = Scratch.take(Scratch.SHARED, 16 * uStride); // (16, rows, C)
        filters(w, transposed, cout, cin, rows, u, uStride);

        Tiling tiling = new Tiling(g);
        float[] zero = new float[g.width()]; // a row of the padding, read only
        int unit = simd ? SimdGemm.NR : 16;
        int byCache = Math.max(unit, BLOCK / (16 * (cin + cout)) / unit * unit);
        int byCores = PackedGemm.roundUp(Parallel.ceilDiv(tiling.total, 4 * Parallel.CORES), unit);
        int per = Math.min(byCache, byCores);
        int tasks = Parallel.ceilDiv(tiling.total, per);
        long work = 32L * cin * cout * tiling.total;
        Parallel.parallelFor(tasks, work, t -> {
            int j0 = t * per;
            int nt = Math.min(per, tiling.total - j0);
            int width = simd ? SimdGemm.NR : nt; // the panel width of V
            int vStride = cin * PackedGemm.roundUp(nt, width) + SKEW; // from one V^(ξ) to the next
            int mStride = cout * nt + SKEW; // from one M^(ξ) to the next
            float[] buf = Scratch.take(Scratch.BLOCK, 16 * (vStride + mStride)); // V, then M
            transformInput(g, tiling, x, j0, nt, width, buf, vStride, zero);
            multiply(cout, cin, nt, u, uStride, buf, width, vStride, 16 * vStride, mStride, simd);
            transformOutput(g, tiling, buf, 16 * vStride, mStride, j0, nt, out, simd);
            Scratch.give(Scratch.BLOCK, buf);
        });
        Scratch.give(Scratch.SHARED, u);
    }

    /**
     * Fills {@code u (16, rows, cin)}, {@code stride} floats from one ξ to the next, with the
     * transformed filters, {@code U^(ξ)[k][c] = (G g G^T)[ξ]} for {@code g = w[k][c]}, or
     * {@code flip(w[c][k])} when {@code transposed}; rows past {@code cout} are zero. Tasks take
     * blocks of 16 rows; a transposed block goes column by column, so that it reads the filters
     * {@code w[c][k0 .. k0 + 16]}, which lie one after another, and fills whole cache lines of its
     * 16 rows.
     */
    private static void filters(float[] w, boolean transposed, int cout, int cin, int rows, float[] u,
                                int stride) {
        Parallel.parallelFor(Parallel.ceilDiv(rows, 16), 64L * rows * cin, b -> {
            int k0 = 16 * b;
            int k1 = Math.min(cout, k0 + 16);
            for (int k = Math.max(k0, cout); k < Math.min(rows, k0 + 16); k++) {
                for (int e = 0; e < 16; e++) {
                    Arrays.fill(u, e * stride + k * cin, e * stride + (k + 1) * cin, 0f);
                }
            }
            if (transposed) {
                for (int c = 0; c < cin; c++) {
                    for (int k = k0; k < k1; k++) {
                        // W'[k][c][ky][kx] = W[c][k][2 - ky][2 - kx]: read backwards from the last tap
                        filter(w, (c * cout + k) * 9 + 8, -3, -1, u, k * cin + c, stride);
                    }
                }
            } else {
                for (int k = k0; k < k1; k++) {
                    for (int c = 0; c < cin; c++) {
                        filter(w, (k * cin + c) * 9, 3, 1, u, k * cin + c, stride);
                    }
                }
            }
        });
    }

    /**
     * Writes {@code U = G g G^T} of the filter whose tap {@code (ky, kx)} is
     * {@code w[s + ky rs + kx cs]}, element {@code ξ = (i, j)} to {@code u[o + (4 i + j) os]}.
     */
    private static void filter(float[] w, int s, int rs, int cs, float[] u, int o, int os) {
        // G g, (4, 3): rows g_0, (g_0 + g_1 + g_2) / 2, (g_0 - g_1 + g_2) / 2, g_2 of g's rows g_ky
        float g00 = w[s];
        float g01 = w[s + cs];
        float g02 = w[s + 2 * cs];
        float g10 = w[s + rs];
        float g11 = w[s + rs + cs];
        float g12 = w[s + rs + 2 * cs];
        float g20 = w[s + 2 * rs];
        float g21 = w[s + 2 * rs + cs];
        float g22 = w[s + 2 * rs + 2 * cs];
        // then (G g) G^T, the same along each row
        filterRow(g00, g01, g02, u, o, os);
        filterRow(0.5f * (g00 + g10 + g20), 0.5f * (g01 + g11 + g21), 0.5f * (g02 + g12 + g22), u, o + 4 * os, os);
        filterRow(0.5f * (g00 - g10 + g20), 0.5f * (g01 - g11 + g21), 0.5f * (g02 - g12 + g22), u, o + 8 * os, os);
        filterRow(g20, g21, g22, u, o + 12 * os, os);
    }

    /** Writes {@code G (a, b, c)^T = (a, (a + b + c) / 2, (a - b + c) / 2, c)} to {@code u[o + i os]}. */
    private static void filterRow(float a, float b, float c, float[] u, int o, int os) {
        u[o] = a;
        u[o + os] = 0.5f * (a + b + c);
        u[o + 2 * os] = 0.5f * (a - b + c);
        u[o + 3 * os] = c;
    }

    /**
     * Writes {@code V^(ξ) = (B^T d B)[ξ]} of tiles {@code [j0, j0 + nt)} and every input channel
     * into {@code v}: element {@code (c, j)} of {@code V^(ξ)} at
     * {@code ξ stride + (j / width) C width + c width + j % width}, the panel layout of
     * {@link Packing}; lanes past {@code nt} in the last panel are zero. {@code zero} is a row of at
     * least {@code W} zeros, which stands for the rows in the padding.
     */
    private static void transformInput(Conv2dGeometry g, Tiling tiling, float[] x, int j0, int nt, int width,
                                       float[] v, int stride, float[] zero) {
        int cin = g.inChannels();
        inputRuns(g, tiling, x, j0, 0, nt, width, v, stride, zero);
        int padded = PackedGemm.roundUp(nt, width);
        if (padded > nt) {
            // the lanes past nt of the last panel, read by the micro-kernel but never stored
            int base = (nt - 1) / width * cin * width;
            for (int e = 0; e < 16; e++) {
                for (int c = 0; c < cin; c++) {
                    int at = e * stride + base + c * width;
                    Arrays.fill(v, at + nt % width, at + width, 0f);
                }
            }
        }
    }

    /**
     * {@link #transformInput} of the lanes {@code [lo, hi)}: a run of tiles along a tile row at a
     * time, with the 4 patch rows in registers. (A Vector API version, which split a vector of
     * tiles' patch columns out of contiguous runs by shuffles, measured 1.7 times slower than this.)
     */
    private static void inputRuns(Conv2dGeometry g, Tiling tiling, float[] x, int j0, int lo, int hi, int width,
                                  float[] v, int stride, float[] zero) {
        int cin = g.inChannels();
        int h = g.height();
        int wd = g.width();
        for (int j = j0 + lo; j < j0 + hi; ) {
            // a run of tiles (ty, tx .. tx + len) of image n, in one panel from lane j - j0
            int lane = j - j0;
            int n = j / tiling.perImage;
            int ty = j % tiling.perImage / tiling.tilesX;
            int tx = j % tiling.tilesX;
            int len = Math.min(Math.min(tiling.tilesX - tx, j0 + hi - j), width - lane % width);
            int iy0 = 2 * ty - g.padH(); // the patches' top row
            int ix0 = 2 * tx - g.padW(); // the first patch's left column
            int dst = lane / width * cin * width + lane % width;
            for (int c = 0; c < cin; c++, dst += width) {
                int plane = (n * cin + c) * h * wd;
                // patch row i is a[i][b[i] ..], a zero row in the padding
                float[] a0 = iy0 >= 0 && iy0 < h ? x : zero;
                float[] a1 = iy0 + 1 >= 0 && iy0 + 1 < h ? x : zero;
                float[] a2 = iy0 + 2 >= 0 && iy0 + 2 < h ? x : zero;
                float[] a3 = iy0 + 3 >= 0 && iy0 + 3 < h ? x : zero;
                int b0 = a0 == x ? plane + iy0 * wd : 0;
                int b1 = a1 == x ? plane + (iy0 + 1) * wd : 0;
                int b2 = a2 == x ? plane + (iy0 + 2) * wd : 0;
                int b3 = a3 == x ? plane + (iy0 + 3) * wd : 0;
                // T = B^T d down each column: T_i of columns 2k and 2k + 1 in p_i and q_i
                int ix = ix0;
                boolean in = ix >= 0 && ix < wd;
                float d0 = in ? a0[b0 + ix] : 0f;
                float d1 = in ? a1[b1 + ix] : 0f;
                float d2 = in ? a2[b2 + ix] : 0f;
                float d3 = in ? a3[b3 + ix] : 0f;
                float p0 = d0 - d2;
                float p1 = d1 + d2;
                float p2 = d2 - d1;
                float p3 = d1 - d3;
                in = ++ix >= 0 && ix < wd;
                d0 = in ? a0[b0 + ix] : 0f;
                d1 = in ? a1[b1 + ix] : 0f;
                d2 = in ? a2[b2 + ix] : 0f;
                d3 = in ? a3[b3 + ix] : 0f;
                float q0 = d0 - d2;
                float q1 = d1 + d2;
                float q2 = d2 - d1;
                float q3 = d1 - d3;
                for (int k = 0, at = dst; k < len; k++, at++) {
                    // columns 2k + 2 and 2k + 3, the right half of tile k and the left of tile k + 1
                    in = ++ix >= 0 && ix < wd;
                    d0 = in ? a0[b0 + ix] : 0f;
                    d1 = in ? a1[b1 + ix] : 0f;
                    d2 = in ? a2[b2 + ix] : 0f;
                    d3 = in ? a3[b3 + ix] : 0f;
                    float r0 = d0 - d2;
                    float r1 = d1 + d2;
                    float r2 = d2 - d1;
                    float r3 = d1 - d3;
                    in = ++ix >= 0 && ix < wd;
                    d0 = in ? a0[b0 + ix] : 0f;
                    d1 = in ? a1[b1 + ix] : 0f;
                    d2 = in ? a2[b2 + ix] : 0f;
                    d3 = in ? a3[b3 + ix] : 0f;
                    float s0 = d0 - d2;
                    float s1 = d1 + d2;
                    float s2 = d2 - d1;
                    float s3 = d1 - d3;
                    // V = T B along row i, whose four columns are (p_i, q_i, r_i, s_i)
                    v[at] = p0 - r0;
                    v[at + stride] = q0 + r0;
                    v[at + 2 * stride] = r0 - q0;
                    v[at + 3 * stride] = q0 - s0;
                    v[at + 4 * stride] = p1 - r1;
                    v[at + 5 * stride] = q1 + r1;
                    v[at + 6 * stride] = r1 - q1;
                    v[at + 7 * stride] = q1 - s1;
                    v[at + 8 * stride] = p2 - r2;
                    v[at + 9 * stride] = q2 + r2;
                    v[at + 10 * stride] = r2 - q2;
                    v[at + 11 * stride] = q2 - s2;
                    v[at + 12 * stride] = p3 - r3;
                    v[at + 13 * stride] = q3 + r3;
                    v[at + 14 * stride] = r3 - q3;
                    v[at + 15 * stride] = q3 - s3;
                    p0 = r0;
                    p1 = r1;
                    p2 = r2;
                    p3 = r3;
                    q0 = s0;
                    q1 = s1;
                    q2 = s2;
                    q3 = s3;
                }
            }
            j += len;
        }
    }

    /**
     * Computes {@code M^(ξ) (cout, nt) = U^(ξ) (cout, cin) · V^(ξ) (cin, nt)} for every ξ, into
     * {@code buf[mOff ..]}, element {@code (k, j)} of {@code M^(ξ)} at {@code mOff + (ξ cout + k) nt + j}.
     */
    private static void multiply(int cout, int cin, int nt, float[] u, int uStride, float[] buf, int width,
                                 int vStride, int mOff, int mStride, boolean simd) {
        int padded = PackedGemm.roundUp(nt, width);
        if (!simd) {
            for (int e = 0; e < 16; e++) {
                Gemm.multiply(cout, cin, nt, u, e * uStride, cin, 1, buf, e * vStride, padded,
                        buf, mOff + e * mStride, nt, false);
            }
            return;
        }
        int nr = SimdGemm.NR;
        int kb = PackedGemm.kBlock(cin);
        float[] tile = Scratch.take(Scratch.TILE, SimdGemm.MR * nr);
        for (int e = 0; e < 16; e++) {
            for (int j = 0; j < nt; j += nr) {
                int panel = e * vStride + j * cin; // panel j / NR of V^(ξ)
                for (int p0 = 0; p0 < cin; p0 += kb) {
                    int kc = Math.min(kb, cin - p0);
                    // M^(ξ)[:, j .. +NR] (+)= U^(ξ)[:, p0 .. +kc] · V^(ξ)[p0 .. +kc, j .. +NR]
                    SimdGemm.block(cout, Math.min(nr, nt - j), kc, u, e * uStride + p0, SimdGemm.MR * cin,
                            cin, 1, buf, panel + p0 * nr, buf, mOff + e * mStride + j, nt, p0 > 0, tile);
                }
            }
        }
        Scratch.give(Scratch.TILE, tile);
    }

    /**
     * Writes {@code Y = A^T M A} of tiles {@code [j0, j0 + nt)} and every output channel to
     * {@code out}, clipped at the right and bottom edges; {@code M^(ξ)[k][j - j0]} is at
     * {@code buf[mOff + ξ stride + k nt + j - j0]}. On the Vector API path,
     * {@link WinogradSimd#output} takes the vectors of tiles whose halves each lie in one tile row,
     * inside the output.
     */
    private static void transformOutput(Conv2dGeometry g, Tiling tiling, float[] buf, int mOff, int stride,
                                        int j0, int nt, float[] out, boolean simd) {
        if (!simd) {
            outputRuns(g, tiling, buf, mOff, stride, j0, nt, 0, nt, out);
            return;
        }
        int lanes = WinogradSimd.LANES;
        int half = lanes / 2;
        int planeSize = g.outHeight() * g.outWidth();
        int[] dst = new int[2];
        float[] r = new float[8 * lanes]; // M A of one vector of tiles
        for (int l = 0; l < nt; l += lanes) {
            int hi = Math.min(nt, l + lanes);
            boolean whole = hi - l == lanes && tiling.halves(j0 + l, half);
            for (int h = 0; h < 2 && whole; h++) {
                int j = j0 + l + h * half;
                int oy = 2 * (j % tiling.perImage / tiling.tilesX);
                int ox = 2 * (j % tiling.tilesX);
                whole = oy + 2 <= g.outHeight() && ox + 2 * half <= g.outWidth();
                dst[h] = j / tiling.perImage * g.outChannels() * planeSize + oy * g.outWidth() + ox;
            }
            if (whole) {
                WinogradSimd.output(buf, mOff + l, nt, stride, g.outChannels(), out, dst, planeSize, g.outWidth(), r);
            } else {
                outputRuns(g, tiling, buf, mOff, stride, j0, nt, l, hi, out);
            }
        }
    }

    /** {@link #transformOutput} of the lanes {@code [lo, hi)}, in plain Java, a run along a tile row at a time. */
    private static void outputRuns(Conv2dGeometry g, Tiling tiling, float[] buf, int mOff, int stride, int j0,
                                   int nt, int lo, int hi, float[] out) {
        int cout = g.outChannels();
        int oh = g.outHeight();
        int ow = g.outWidth();
        int planeSize = oh * ow;
        for (int j = j0 + lo; j < j0 + hi; ) {
            // a run of tiles (ty, tx .. tx + len) of image n, lanes j - j0 ..
            int n = j / tiling.perImage;
            int oy = j % tiling.perImage / tiling.tilesX * 2;
            int tx = j % tiling.tilesX;
            int len = Math.min(tiling.tilesX - tx, j0 + hi - j);
            int cols = Math.min(2 * len, ow - 2 * tx); // output columns of the run
            boolean second = oy + 1 < oh; // whether the tiles' second row is inside
            for (int k = 0; k < cout; k++) {
                int m = mOff + k * nt + (j - j0); // M^(0)[k][first tile]
                int dst = (n * cout + k) * planeSize + oy * ow + 2 * tx; // out[n][k][oy][2 tx]
                for (int l = 0; 2 * l < cols; l++, m++, dst += 2) {
                    // M A, row i: (M[i][0] + M[i][1] + M[i][2], M[i][1] - M[i][2] - M[i][3])
                    float m1 = buf[m + stride];
                    float m2 = buf[m + 2 * stride];
                    float r00 = buf[m] + m1 + m2;
                    float r01 = m1 - m2 - buf[m + 3 * stride];
                    m1 = buf[m + 5 * stride];
                    m2 = buf[m + 6 * stride];
                    float r10 = buf[m + 4 * stride] + m1 + m2;
                    float r11 = m1 - m2 - buf[m + 7 * stride];
                    m1 = buf[m + 9 * stride];
                    m2 = buf[m + 10 * stride];
                    float r20 = buf[m + 8 * stride] + m1 + m2;
                    float r21 = m1 - m2 - buf[m + 11 * stride];
                    m1 = buf[m + 13 * stride];
                    m2 = buf[m + 14 * stride];
                    float r30 = buf[m + 12 * stride] + m1 + m2;
                    float r31 = m1 - m2 - buf[m + 15 * stride];
                    // A^T (M A): rows 0 + 1 + 2 and 1 - 2 - 3
                    out[dst] = r00 + r10 + r20;
                    if (2 * l + 1 < cols) {
                        out[dst + 1] = r01 + r11 + r21;
                    }
                    if (second) {
                        out[dst + ow] = r10 - r20 - r30;
                        if (2 * l + 1 < cols) {
                            out[dst + ow + 1] = r11 - r21 - r31;
                        }
                    }
                }
            }
            j += len;
        }
    }

    /** How the output planes of a geometry are cut into 2x2 tiles, numbered across images. */
    private static final class Tiling {
        final int tilesX;
        final int perImage;
        final int total;

        Tiling(Conv2dGeometry g) {
            tilesX = Parallel.ceilDiv(g.outWidth(), 2);
            perImage = Parallel.ceilDiv(g.outHeight(), 2) * tilesX;
            total = g.batch() * perImage;
        }

        /** Returns whether tiles {@code [j, j + half)} and {@code [j + half, j + 2 half)} each lie in one tile row. */
        boolean halves(int j, int half) {
            return j % tilesX + half <= tilesX && (j + half) % tilesX + half <= tilesX;
        }
    }
}
