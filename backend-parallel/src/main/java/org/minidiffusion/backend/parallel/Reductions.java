package org.minidiffusion.backend.parallel;

import java.util.Arrays;

import org.minidiffusion.core.spi.ReduceOp;

/**
 * Sums, maxima and variances along one axis of a contiguous {@code (outer, length, inner)} tensor.
 *
 * <p>Sums are accumulated in {@code double} in exactly the order {@link ReduceOp#SUM} fixes: blocks
 * of {@link ReduceOp#SUM_BLOCK} in axis order, then the block sums in order. Only the scheduling
 * differs from the scalar reference (blocks of one long row on several cores, four independent
 * chains of additions per task, columns widened to double a vector at a time), so the results are
 * bit-identical to it. Variances take two passes
 * in {@code double}, each in axis order, one task per output or column chunk.
 */
final class Reductions {

    /** Scalar operations below which a block of work is not split further. */
    private static final int GRAIN = 1 << 15;

    /** The block length of a sum, {@link ReduceOp#SUM_BLOCK}. */
    private static final int BLOCK = ReduceOp.SUM_BLOCK;

    private Reductions() {
    }

    /**
     * See {@link org.minidiffusion.core.spi.Kernels#reduce}; with {@code simd}, column sums widen
     * floats to doubles on the Vector API ({@link SimdSums}).
     */
    static void reduce(ReduceOp op, float[] x, int outer, int length, int inner, float[] out, boolean simd) {
        if (inner == 1 && op == ReduceOp.SUM && length > BLOCK) {
            sumLongRows(x, outer, length, out);
        } else if (inner == 1) {
            Parallel.parallelRange(outer, Math.max(1, GRAIN / Math.max(1, length)),
                    (o0, o1) -> reduceRows(op, x, o0, o1, length, out));
        } else {
            ParallelKernels.outerInner(outer, inner, length,
                    (o, j0, j1) -> reduceColumns(op, x, o, length, inner, j0, j1, out, simd));
        }
    }

    /** See {@link org.minidiffusion.core.spi.Kernels#variance}. */
    static void variance(float[] x, int outer, int length, int inner, int correction, float[] out) {
        if (inner == 1) {
            Parallel.parallelRange(outer, Math.max(1, GRAIN / (2 * length)), (o0, o1) -> {
                for (int o = o0; o < o1; o++) {
                    out[o] = varianceOfRow(x, o * length, length, correction);
                }
            });
        } else {
            ParallelKernels.outerInner(outer, inner, 2 * length,
                    (o, j0, j1) -> varianceOfColumns(x, o, length, inner, j0, j1, correction, out));
        }
    }

    /**
     * Sums rows longer than one block: every block of every row is a task of its own, in parallel,
     * and each row's block sums are then added in order.
     */
    private static void sumLongRows(float[] x, int outer, int length, float[] out) {
        int blocks = Parallel.ceilDiv(length, BLOCK);
        double[] partial = new double[outer * blocks]; // partial[o * blocks + b]: block b of row o
        Parallel.parallelRange(outer * blocks, GRAIN / BLOCK, (t0, t1) -> {
            double[] four = new double[4];
            int t = t0;
            for (; t + 4 <= t1; t += 4) {
                int len = blockLength(t, blocks, length);
                if (blockLength(t + 3, blocks, length) == len && blockLength(t + 1, blocks, length) == len
                        && blockLength(t + 2, blocks, length) == len) {
                    sumFour(x, blockStart(t, blocks, length), blockStart(t + 1, blocks, length),
                            blockStart(t + 2, blocks, length), blockStart(t + 3, blocks, length), len, four);
                    System.arraycopy(four, 0, partial, t, 4);
                } else {
                    for (int u = t; u < t + 4; u++) {
                        partial[u] = sumRun(x, blockStart(u, blocks, length), blockLength(u, blocks, length));
                    }
                }
            }
            for (; t < t1; t++) {
                partial[t] = sumRun(x, blockStart(t, blocks, length), blockLength(t, blocks, length));
            }
        });
        for (int o = 0; o < outer; o++) {
            double total = 0;
            for (int b = 0; b < blocks; b++) {
                total += partial[o * blocks + b];
            }
            out[o] = (float) total;
        }
    }

    /** Returns where block {@code t % blocks} of row {@code t / blocks} starts. */
    private static int blockStart(int t, int blocks, int length) {
        return t / blocks * length + t % blocks * BLOCK;
    }

    /** Returns the length of block {@code t % blocks} of a row: {@link #BLOCK}, or less for the last. */
    private static int blockLength(int t, int blocks, int length) {
        return Math.min(BLOCK, length - t % blocks * BLOCK);
    }

    /** Reduces the contiguous rows {@code o0 <= o < o1}, each at most one block long, into {@code out[o]}. */
    private static void reduceRows(ReduceOp op, float[] x, int o0, int o1, int length, float[] out) {
        int o = o0;
        if (op == ReduceOp.SUM) {
            double[] four = new double[4];
            for (; o + 4 <= o1; o += 4) {
                int from = o * length;
                sumFour(x, from, from + length, from + 2 * length, from + 3 * length, length, four);
                for (int r = 0; r < 4; r++) {
                    out[o + r] = (float) (0.0 + four[r]); // one block, added to a total of 0
                }
            }
            for (; o < o1; o++) {
                out[o] = (float) (0.0 + sumRun(x, o * length, length));
            }
            return;
        }
        for (; o < o1; o++) {
            out[o] = maxOfRow(x, o * length, length);
        }
    }

    /**
     * Sums four runs of {@code length} contiguous values, at {@code a}, {@code b}, {@code c} and
     * {@code d}, into {@code sums}. Each run is added in index order, as {@link #sumRun} adds it,
     * but the four chains of dependent additions overlap, so the loop is not bound by the latency
     * of one addition per element.
     */
    private static void sumFour(float[] x, int a, int b, int c, int d, int length, double[] sums) {
        double s0 = 0;
        double s1 = 0;
        double s2 = 0;
        double s3 = 0;
        for (int i = 0; i < length; i++) {
            s0 += x[a + i];
            s1 += x[b + i];
            s2 += x[c + i];
            s3 += x[d + i];
        }
        sums[0] = s0;
        sums[1] = s1;
        sums[2] = s2;
        sums[3] = s3;
    }

    /** Returns the sum of the contiguous {@code x[from .. from + length)} in double, in index order. */
    private static double sumRun(float[] x, int from, int length) {
        double s = 0;
        for (int i = from; i < from + length; i++) {
            s += x[i];
        }
        return s;
    }

    /** Returns the maximum of the contiguous {@code x[from .. from + length)}. */
    private static float maxOfRow(float[] x, int from, int length) {
        float acc = length == 0 ? Float.NEGATIVE_INFINITY : x[from];
        for (int l = 1; l < length; l++) {
            acc = Math.max(acc, x[from + l]); // Math.max propagates NaN
        }
        return acc;
    }

    /** The most columns {@link #reduceColumns} sums at once, so that its sums take 8 KiB at most. */
    private static final int COLUMN_TILE = 512;

    /**
     * Reduces columns {@code [j0, j1)} of {@code x[o]}, an {@code (length, inner)} matrix, into
     * {@code out[o][j0 .. j1)}, a row of x at a time so the loop over j is unit-stride; each
     * output still accumulates in axis order, block by block.
     */
    private static void reduceColumns(ReduceOp op, float[] x, int o, int length, int inner, int j0, int j1,
                                      float[] out, boolean simd) {
        int dst = o * inner;
        int base = o * length * inner;
        int width = j1 - j0;
        if (op == ReduceOp.SUM) {
            // columns COLUMN_TILE at a time, so the sums take a few KiB whatever the width (a
            // (4, 65536) column sum took 1 MiB per call before)
            int tile = Math.min(width, COLUMN_TILE);
            double[] total = new double[tile];
            double[] block = new double[tile];
            for (int c0 = j0; c0 < j1; c0 += tile) {
                int w = Math.min(tile, j1 - c0);
                Arrays.fill(total, 0, w, 0.0);
                for (int from = 0, to; from < length; from = to) {
                    to = from + Math.min(BLOCK, length - from);
                    Arrays.fill(block, 0, w, 0.0);
                    if (simd) {
                        SimdSums.addRows(x, base, inner, from, to, c0, w, block);
                    } else {
                        for (int l = from; l < to; l++) {
                            for (int j = 0, at = base + l * inner + c0; j < w; j++, at++) {
                                block[j] += x[at];
                            }
                        }
                    }
                    for (int j = 0; j < w; j++) {
                        total[j] += block[j];
                    }
                }
                for (int j = 0; j < w; j++) {
                    out[dst + c0 + j] = (float) total[j];
                }
            }
        } else if (length == 0) {
            Arrays.fill(out, dst + j0, dst + j1, Float.NEGATIVE_INFINITY);
        } else {
            System.arraycopy(x, base + j0, out, dst + j0, width);
            for (int l = 1; l < length; l++) {
                int src = base + l * inner;
                for (int j = j0; j < j1; j++) {
                    out[dst + j] = Math.max(out[dst + j], x[src + j]); // Math.max propagates NaN
                }
            }
        }
    }

    /** Returns the variance of the contiguous {@code x[from .. from + length)}, two passes in double. */
    private static float varianceOfRow(float[] x, int from, int length, int correction) {
        double mu = sumRun(x, from, length) / length;
        double squares = 0;
        for (int i = from; i < from + length; i++) {
            double d = x[i] - mu;
            squares += d * d;
        }
        return (float) (squares / (length - correction));
    }

    /**
     * Computes the variances of columns {@code [j0, j1)} of {@code x[o]}, an {@code (length, inner)}
     * matrix, over its rows, in two sweeps a row at a time.
     */
    private static void varianceOfColumns(float[] x, int o, int length, int inner, int j0, int j1, int correction,
                                          float[] out) {
        int base = o * length * inner + j0;
        int width = j1 - j0;
        double[] mu = new double[width];
        for (int l = 0; l < length; l++) {
            for (int j = 0, at = base + l * inner; j < width; j++, at++) {
                mu[j] += x[at];
            }
        }
        for (int j = 0; j < width; j++) {
            mu[j] /= length;
        }
        double[] squares = new double[width];
        for (int l = 0; l < length; l++) {
            for (int j = 0, at = base + l * inner; j < width; j++, at++) {
                double d = x[at] - mu[j];
                squares[j] += d * d;
            }
        }
        for (int j = 0; j < width; j++) {
            out[o * inner + j0 + j] = (float) (squares[j] / (length - correction));
        }
    }
}
