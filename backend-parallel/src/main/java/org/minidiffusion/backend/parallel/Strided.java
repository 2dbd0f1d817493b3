package org.minidiffusion.backend.parallel;

import java.util.Arrays;

/**
 * A loop over several strided views of one shape, cut into rows along the last dim and run in
 * parallel over blocks of rows.
 *
 * <p>Dims of size 1 are dropped, and neighbouring dims that every view steps through as one are
 * merged, so a contiguous or broadcast operand usually leaves one long row. Within a block, an
 * odometer over the outer dims moves every view's row start by its strides.
 */
final class Strided {

    /** Elements of work below which a block of rows is not split further. */
    private static final int GRAIN = 1 << 15;

    /** The loop body over one row. */
    @FunctionalInterface
    interface RowBody {
        /**
         * Processes one row of {@code length} elements, view {@code v} starting at {@code start[v]}
         * with step {@link #innerStride innerStride(v)}; {@code start} must not be changed or kept.
         */
        void row(int length, int[] start);
    }

    private final int[] shape;     // merged shape, rank >= 1
    private final int[][] strides; // [view][dim]
    private final int[] offsets;   // [view]

    private Strided(int[] shape, int[][] strides, int[] offsets) {
        this.shape = shape;
        this.strides = strides;
        this.offsets = offsets;
    }

    /**
     * Prepares a loop over {@code shape}, view {@code v} starting at {@code offsets[v]} with
     * {@code strides[v]}; returns {@code null} if the shape has no elements.
     */
    static Strided of(int[] shape, int[] offsets, int[]... strides) {
        int views = offsets.length;
        int[] size = new int[shape.length + 1];
        int[][] step = new int[views][shape.length + 1];
        int rank = 0;
        for (int d = 0; d < shape.length; d++) {
            if (shape[d] == 0) {
                return null;
            }
            if (shape[d] == 1) {
                continue;
            }
            if (rank > 0 && mergeable(step, rank - 1, strides, d, shape[d])) {
                size[rank - 1] *= shape[d];
                for (int v = 0; v < views; v++) {
                    step[v][rank - 1] = strides[v][d];
                }
            } else {
                size[rank] = shape[d];
                for (int v = 0; v < views; v++) {
                    step[v][rank] = strides[v][d];
                }
                rank++;
            }
        }
        if (rank == 0) {
            size[rank++] = 1; // a single element: rank 0, or all dims of size 1
        }
        int[][] merged = new int[views][];
        for (int v = 0; v < views; v++) {
            merged[v] = Arrays.copyOf(step[v], rank);
        }
        return new Strided(Arrays.copyOf(size, rank), merged, offsets.clone());
    }

    /** Whether kept dim {@code k} and input dim {@code d} of size {@code n} form one dim in every view. */
    private static boolean mergeable(int[][] step, int k, int[][] strides, int d, int n) {
        for (int v = 0; v < step.length; v++) {
            if (step[v][k] != (long) strides[v][d] * n) {
                return false;
            }
        }
        return true;
    }

    /** Returns the step of view {@code v} along a row. */
    int innerStride(int v) {
        return strides[v][shape.length - 1];
    }

    /** Runs {@code body} on every row, in parallel over blocks of rows when there is enough work. */
    void forEachRow(RowBody body) {
        int last = shape.length - 1;
        int length = shape[last];
        int rows = 1;
        for (int d = 0; d < last; d++) {
            rows *= shape[d];
        }
        if (rows == 1) {
            // a single row, as when every view is contiguous: split the row itself
            Parallel.parallelRange(length, GRAIN, (j0, j1) -> {
                int[] start = offsets.clone();
                for (int v = 0; v < start.length; v++) {
                    start[v] += j0 * strides[v][last];
                }
                body.row(j1 - j0, start);
            });
        } else {
            Parallel.parallelRange(rows, Math.max(1, GRAIN / length), (r0, r1) -> rows(r0, r1, length, body));
        }
    }

    /** Runs {@code body} on rows {@code [r0, r1)}, the outer dims counted by an odometer. */
    private void rows(int r0, int r1, int length, RowBody body) {
        int outerRank = shape.length - 1;
        int[] idx = new int[outerRank];
        int[] start = offsets.clone();
        for (int d = outerRank - 1, rest = r0; d >= 0; d--) {
            idx[d] = rest % shape[d];
            rest /= shape[d];
            for (int v = 0; v < start.length; v++) {
                start[v] += idx[d] * strides[v][d];
            }
        }
        for (int r = r0; r < r1; r++) {
            body.row(length, start);
            for (int d = outerRank - 1; d >= 0; d--) {
                for (int v = 0; v < start.length; v++) {
                    start[v] += strides[v][d];
                }
                if (++idx[d] < shape[d]) {
                    break;
                }
                idx[d] = 0;
                for (int v = 0; v < start.length; v++) {
                    start[v] -= shape[d] * strides[v][d];
                }
            }
        }
    }
}
