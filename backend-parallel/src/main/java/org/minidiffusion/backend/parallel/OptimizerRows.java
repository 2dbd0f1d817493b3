package org.minidiffusion.backend.parallel;

/**
 * A range of the optimiser kernels in plain Java: the reference's formulas
 * ({@link org.minidiffusion.core.spi.Kernels#adamStep}, {@link org.minidiffusion.core.spi.Kernels#movingAverage})
 * in the same order of operations, so results are bit-identical to it. {@link SimdOptimizer} runs
 * the same formulas on the Vector API and ends each range here.
 */
final class OptimizerRows {

    private OptimizerRows() {
    }

    /** Runs one Adam step on elements {@code [from, to)}; see {@code Kernels.adamStep}. */
    static void adam(float[] p, float[] grad, float[] m, float[] v, float lr, float beta1, float beta2,
                     float c1, float c2, float eps, float weightDecay, float gradScale, int from, int to) {
        // Kingma and Ba 2015, Algorithm 1, with AdamW's decoupled decay (Loshchilov and Hutter 2019, Algorithm 2)
        float decay = 1f - lr * weightDecay;
        float invC1 = 1f / c1;
        float invC2 = 1f / c2;
        float rest1 = 1f - beta1;
        float rest2 = 1f - beta2;
        for (int i = from; i < to; i++) {
            float g = grad[i] * gradScale;
            float mi = m[i] * beta1 + g * rest1;
            float vi = v[i] * beta2 + g * g * rest2;
            m[i] = mi;
            v[i] = vi;
            p[i] = p[i] * decay - mi * invC1 / ((float) Math.sqrt(vi * invC2) + eps) * lr;
        }
    }

    /** Moves {@code average} towards {@code x} on elements {@code [from, to)}; see {@code Kernels.movingAverage}. */
    static void movingAverage(float[] average, float[] x, float decay, int from, int to) {
        float rest = 1f - decay;
        for (int i = from; i < to; i++) {
            average[i] = average[i] * decay + x[i] * rest;
        }
    }
}
