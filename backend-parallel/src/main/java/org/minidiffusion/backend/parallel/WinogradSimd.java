package org.minidiffusion.backend.parallel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * The inverse transform {@code Y = A^T M A} of {@link Winograd} on the Vector API, one vector of
 * tiles at a time; loaded, like {@link SimdGemm}, only when {@link Simd} has found the module.
 *
 * <p>A vector's {@link #LANES} lanes are two halves of {@link #HALF} consecutive tiles, each half
 * from one tile row (of the same plane or not): along a tile row of 32 output columns, the two
 * halves of one row; along rows of 16, two rows. The transform loads the 16 {@code M^(ξ)} vectors
 * of the tiles (lanes of the products' rows, as {@link SimdGemm} stored them), adds them lane-wise,
 * and interleaves the two output columns of each tile's rows back into contiguous runs of output.
 *
 * <p>As in {@link SimdGemm}, no vector crosses a call, which the JIT might not inline (and then
 * boxes the vector): the steps, each one method, pass their vectors on through a small scratch
 * array, which stays in L1. (In one method, the Vector API calls of the whole transform exceed
 * what C2 inlines: then it is several times slower than plain Java.)
 */
final class WinogradSimd {

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    /** The tiles a vector holds. */
    static final int LANES = S.length();

    /** The tiles of one half, consecutive in one tile row. */
    static final int HALF = LANES / 2;

    /*
     * The shuffles below each read one vector; two of them and a blend interleave two vectors.
     * (Vector.rearrange(shuffle, vector) does the same, but on JDK 17 it rebuilds its shuffle lane by
     * lane on every call, which made the transform several times slower.)
     */

    /** Lane {@code k} takes element {@code k / 2}: the first half, each element twice. */
    private static final VectorShuffle<Float> SPREAD_LOW = VectorShuffle.fromOp(S, k -> k / 2);

    /** Lane {@code k} takes element {@code HALF + k / 2}: the second half, each element twice. */
    private static final VectorShuffle<Float> SPREAD_HIGH = VectorShuffle.fromOp(S, k -> HALF + k / 2);

    /** The odd lanes. */
    private static final VectorMask<Float> ODD_LANES = VectorMask.fromArray(S, lanes(k -> k % 2 == 1), 0);

    private WinogradSimd() {
    }

    /** Returns the lanes for which {@code p} holds. */
    private static boolean[] lanes(java.util.function.IntPredicate p) {
        boolean[] set = new boolean[LANES];
        for (int k = 0; k < LANES; k++) {
            set[k] = p.test(k);
        }
        return set;
    }

    /**
     * Writes {@code Y = A^T M A} of one vector of tiles, for every output channel, when every tile
     * lies wholly inside the output: tile {@code k} of half {@code h}, channel {@code o} to
     * {@code out[dst[h] + o * planeSize + 2k ..]} and the row below.
     *
     * @param m         the products; {@code M^(ξ)[o]}'s lanes at {@code m[at + o * ldm + ξ * stride ..]}
     * @param at        the index of the vector of ξ = 0, channel 0
     * @param ldm       from one channel to the next
     * @param stride    from one ξ to the next
     * @param cout      the output channels
     * @param out       the output
     * @param dst       for each half, the index of its first output pixel in channel 0
     * @param planeSize from one output channel to the next
     * @param width     the output width, from one row to the next
     * @param r         scratch of {@code 8 * LANES} floats
     */
    static void output(float[] m, int at, int ldm, int stride, int cout, float[] out, int[] dst, int planeSize,
                       int width, float[] r) {
        for (int o = 0; o < cout; o++) {
            int s = at + o * ldm;
            for (int i = 0; i < 4; i++) {
                right(m, s + 4 * i * stride, stride, r, 2 * i * LANES); // row i of M A
            }
            // A^T (M A): rows 0 + 1 + 2 and 1 - 2 - 3, interleaved back into output rows
            top(r, out, dst[0] + o * planeSize, dst[1] + o * planeSize);
            bottom(r, out, dst[0] + o * planeSize + width, dst[1] + o * planeSize + width);
        }
    }

    /**
     * Writes {@code (M[0] + M[1] + M[2], M[1] - M[2] - M[3])}, a row of {@code M A}, from
     * {@code m[s + j stride]} to {@code r[at]} and {@code r[at + LANES]}.
     */
    private static void right(float[] m, int s, int stride, float[] r, int at) {
        FloatVector m1 = FloatVector.fromArray(S, m, s + stride);
        FloatVector m2 = FloatVector.fromArray(S, m, s + 2 * stride);
        FloatVector.fromArray(S, m, s).add(m1).add(m2).intoArray(r, at);
        m1.sub(m2).sub(FloatVector.fromArray(S, m, s + 3 * stride)).intoArray(r, at + LANES);
    }

    /** Writes row 0 of {@code A^T (M A)}, rows 0 + 1 + 2 of {@code r}, to output rows {@code d0} and {@code d1}. */
    private static void top(float[] r, float[] out, int d0, int d1) {
        FloatVector y0 = FloatVector.fromArray(S, r, 0).add(FloatVector.fromArray(S, r, 2 * LANES))
                .add(FloatVector.fromArray(S, r, 4 * LANES));
        FloatVector y1 = FloatVector.fromArray(S, r, LANES).add(FloatVector.fromArray(S, r, 3 * LANES))
                .add(FloatVector.fromArray(S, r, 5 * LANES));
        y0.rearrange(SPREAD_LOW).blend(y1.rearrange(SPREAD_LOW), ODD_LANES).intoArray(out, d0);
        y0.rearrange(SPREAD_HIGH).blend(y1.rearrange(SPREAD_HIGH), ODD_LANES).intoArray(out, d1);
    }

    /** Writes row 1 of {@code A^T (M A)}, rows 1 - 2 - 3 of {@code r}, to output rows {@code d0} and {@code d1}. */
    private static void bottom(float[] r, float[] out, int d0, int d1) {
        FloatVector y0 = FloatVector.fromArray(S, r, 2 * LANES).sub(FloatVector.fromArray(S, r, 4 * LANES))
                .sub(FloatVector.fromArray(S, r, 6 * LANES));
        FloatVector y1 = FloatVector.fromArray(S, r, 3 * LANES).sub(FloatVector.fromArray(S, r, 5 * LANES))
                .sub(FloatVector.fromArray(S, r, 7 * LANES));
        y0.rearrange(SPREAD_LOW).blend(y1.rearrange(SPREAD_LOW), ODD_LANES).intoArray(out, d0);
        y0.rearrange(SPREAD_HIGH).blend(y1.rearrange(SPREAD_HIGH), ODD_LANES).intoArray(out, d1);
    }
}
