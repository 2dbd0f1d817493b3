package org.minidiffusion.backend.parallel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The optimiser kernels on the Vector API: {@link OptimizerRows}' formulas a vector at a time.
 *
 * <p>Loaded only when {@link Simd} has found the module, like {@link SimdGemm}. Each lane runs the
 * reference's operations in the reference's order, with no fused multiply-add, and the square root
 * and division are correctly rounded, so results are bit-identical to the plain loop; the last
 * elements of a range that fill no whole vector run on {@link OptimizerRows}.
 */
final class SimdOptimizer {

    /** Floats of the preferred size: 8 with AVX2, 16 with AVX-512. */
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    private SimdOptimizer() {
    }

    /** Runs one Adam step on elements {@code [from, to)}; see {@code Kernels.adamStep}. */
    static void adam(float[] p, float[] grad, float[] m, float[] v, float lr, float beta1, float beta2,
                     float c1, float c2, float eps, float weightDecay, float gradScale, int from, int to) {
        float decay = 1f - lr * weightDecay;
        float invC1 = 1f / c1;
        float invC2 = 1f / c2;
        float rest1 = 1f - beta1;
        float rest2 = 1f - beta2;
        int vectorEnd = from + (to - from) / F.length() * F.length();
        int i = from;
        for (; i < vectorEnd; i += F.length()) {
            FloatVector g = FloatVector.fromArray(F, grad, i).mul(gradScale);
            FloatVector mi = FloatVector.fromArray(F, m, i).mul(beta1).add(g.mul(rest1));
            FloatVector vi = FloatVector.fromArray(F, v, i).mul(beta2).add(g.mul(g).mul(rest2));
            mi.intoArray(m, i);
            vi.intoArray(v, i);
            FloatVector denominator = vi.mul(invC2).sqrt().add(eps);
            FloatVector.fromArray(F, p, i).mul(decay).sub(mi.mul(invC1).div(denominator).mul(lr)).intoArray(p, i);
        }
        OptimizerRows.adam(p, grad, m, v, lr, beta1, beta2, c1, c2, eps, weightDecay, gradScale, i, to);
    }

    /** Moves {@code average} towards {@code x} on elements {@code [from, to)}; see {@code Kernels.movingAverage}. */
    static void movingAverage(float[] average, float[] x, float decay, int from, int to) {
        float rest = 1f - decay;
        int vectorEnd = from + (to - from) / F.length() * F.length();
        int i = from;
        for (; i < vectorEnd; i += F.length()) {
            FloatVector.fromArray(F, average, i).mul(decay).add(FloatVector.fromArray(F, x, i).mul(rest))
                    .intoArray(average, i);
        }
        OptimizerRows.movingAverage(average, x, decay, i, to);
    }
}
