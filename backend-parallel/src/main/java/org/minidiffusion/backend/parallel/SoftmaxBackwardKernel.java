package org.minidiffusion.backend.parallel;

/**
 * The gradient of the softmax and the log-softmax of {@link ParallelKernels#softmax}, from the
 * forward output: {@code dx_l = y_l·(dy_l − Σ_k dy_k·y_k)}, or {@code dx_l = dy_l − exp(y_l)·Σ_k dy_k}.
 *
 * <p>Split like the forward pass: over rows when the axis is the last one (attention), else over
 * outer indices and chunks of columns, sweeping a row at a time. Sums are accumulated in
 * {@code double}.
 */
final class SoftmaxBackwardKernel {

    /** Scalar operations below which a block of work is not split further. */
    private static final int GRAIN = 1 << 15;

    private SoftmaxBackwardKernel() {
    }

    /** See {@link org.minidiffusion.core.spi.Kernels#softmaxBackward}. */
    static void run(float[] y, float[] gradY, int outer, int length, int inner, boolean log, float[] gradX,
                    boolean simd) {
        if (length == 0) {
            return; // no elements
        }
        int work = (log ? 16 : 4) * length; // per row or column: an exp costs about as much as 16 additions
        if (inner == 1) {
            Parallel.parallelRange(outer, Math.max(1, GRAIN / work), (o0, o1) -> {
                for (int o = o0; o < o1; o++) {
                    row(y, gradY, o * length, length, log, gradX, simd);
                }
            });
        } else {
            ParallelKernels.outerInner(outer, inner, work,
                    (o, j0, j1) -> columns(y, gradY, o, length, inner, j0, j1, log, gradX));
        }
    }

    /** The gradient of the contiguous row {@code [from, from + length)}. */
    private static void row(float[] y, float[] g, int from, int length, boolean log, float[] gradX, boolean simd) {
        if (log) {
            double sum = NormLoops.sum(simd, g, from, length); // Σ dy
            for (int l = from; l < from + length; l++) {
                gradX[l] = (float) (g[l] - Math.exp(y[l]) * sum);
            }
        } else {
            float dot = (float) NormLoops.dot(simd, g, y, from, length); // Σ dy·y
            NormLoops.softmaxGrad(simd, y, g, from, length, dot, gradX);
        }
    }

    /**
     * The gradient of columns {@code [j0, j1)} of the {@code (length, inner)} matrix {@code o}, over its
     * rows, a row at a time so the loops over j are unit-stride.
     */
    private static void columns(float[] y, float[] g, int o, int length, int inner, int j0, int j1, boolean log,
                                float[] gradX) {
        int base = o * length * inner;
        int width = j1 - j0;
        double[] sum = new double[width];
        for (int l = 0; l < length; l++) {
            for (int j = 0, at = base + l * inner + j0; j < width; j++, at++) {
                sum[j] += log ? g[at] : (double) g[at] * y[at];
            }
        }
        for (int l = 0; l < length; l++) {
            for (int j = 0, at = base + l * inner + j0; j < width; j++, at++) {
                gradX[at] = (float) (log ? g[at] - Math.exp(y[at]) * sum[j] : y[at] * (g[at] - sum[j]));
            }
        }
    }
}
