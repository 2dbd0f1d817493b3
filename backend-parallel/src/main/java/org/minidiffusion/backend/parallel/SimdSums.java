package org.minidiffusion.backend.parallel;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Column sums in {@code double} on the Vector API: the float values of a row are widened to
 * doubles a vector at a time, which the JIT does not do for a plain loop.
 *
 * <p>Loaded only when {@link Simd} has found the module, like {@link SimdGemm}. Every lane adds
 * its own column, one row after another, so each sum runs in exactly the order of the plain loop
 * and the result is bit-identical to it.
 */
final class SimdSums {

    /** Doubles of the preferred size: 4 with AVX2, 8 with AVX-512. */
    private static final VectorSpecies<Double> D = DoubleVector.SPECIES_PREFERRED;

    private SimdSums() {
    }

    /**
     * Adds rows {@code [from, to)} of an {@code (length, inner)} matrix at {@code x[base]},
     * columns {@code [j0, j0 + width)}, into {@code sums[0 .. width)}: {@code sums[j] += x[base
     * + l * inner + j0 + j]} for each row {@code l} in order.
     */
    static void addRows(float[] x, int base, int inner, int from, int to, int j0, int width, double[] sums) {
        int vectorEnd = width - width % D.length();
        for (int l = from; l < to; l++) {
            int row = base + l * inner + j0;
            int j = 0;
            for (; j < vectorEnd; j += D.length()) {
                DoubleVector v = SimdNorms.widen(x, row + j); // preferred-size floats only; see there
                DoubleVector.fromArray(D, sums, j).add(v).intoArray(sums, j);
            }
            for (; j < width; j++) {
                sums[j] += x[row + j];
            }
        }
    }
}
