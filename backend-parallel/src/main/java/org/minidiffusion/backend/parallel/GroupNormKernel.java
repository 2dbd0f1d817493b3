package org.minidiffusion.backend.parallel;

/**
 * Group normalisation in two passes over each group's contiguous values, one task per
 * {@code (sample, group)}.
 *
 * <p>The statistics are summed in {@code double} with four partial sums, so they do not wait on one
 * another; the result differs from the scalar reference by rounding only. The normalisation
 * subtracts the mean before it scales, {@code (x − μ)·(rstd·gamma) + beta}: folding {@code μ} into
 * the shift, {@code x·(rstd·gamma) + (beta − μ·rstd·gamma)}, would round {@code x·rstd·gamma} at
 * the magnitude of the mean and lose the digits of a small spread. The double {@code μ} is split
 * into two floats, {@code μ = hi + lo}, and {@code (x − hi) − lo} is taken in float, accurate
 * to about an ulp of {@code x − μ} (for {@code x} near {@code hi} the first difference is exact),
 * so the loop stays in float, where the JIT vectorises it.
 */
final class GroupNormKernel {
    private GroupNormKernel() {
    }

    /** See {@link org.minidiffusion.core.spi.Kernels#groupNorm}. */
    static void run(float[] x, int batch, int channels, int spatial, int groups, float[] gamma, float[] beta,
                    float eps, float[] out, float[] mean, float[] rstd) {
        int perGroup = channels / groups;
        long work = 3L * batch * channels * spatial;
        Parallel.parallelFor(batch * groups, work, ng -> {
            int from = (ng / groups * channels + ng % groups * perGroup) * spatial; // the set is contiguous
            int size = perGroup * spatial;
            double mu = sum(x, from, size) / size;
            double variance = sumOfSquares(x, from, size, mu) / size;             // biased, as PyTorch
            float r = (float) (1 / Math.sqrt(variance + eps));
            mean[ng] = (float) mu;
            rstd[ng] = r;
            float muHi = (float) mu;
            float muLo = (float) (mu - muHi);
            for (int j = 0; j < perGroup; j++) {
                int c = ng % groups * perGroup + j;
                float scale = r * (gamma == null ? 1f : gamma[c]);
                float shift = beta == null ? 0f : beta[c];
                int at = from + j * spatial;
                for (int i = at; i < at + spatial; i++) {
                    out[i] = ((x[i] - muHi) - muLo) * scale + shift; // eq. 1, then eq. 3
                }
            }
        });
    }

    /** Returns {@code Σ x_i} over {@code [from, from + size)}. */
    private static double sum(float[] x, int from, int size) {
        double s0 = 0;
        double s1 = 0;
        double s2 = 0;
        double s3 = 0;
        int i = from;
        int end = from + size;
        for (; i + 3 < end; i += 4) {
            s0 += x[i];
            s1 += x[i + 1];
            s2 += x[i + 2];
            s3 += x[i + 3];
        }
        for (; i < end; i++) {
            s0 += x[i];
        }
        return (s0 + s1) + (s2 + s3);
    }

    /** Returns {@code Σ (x_i − mu)²} over {@code [from, from + size)}. */
    private static double sumOfSquares(float[] x, int from, int size, double mu) {
        double s0 = 0;
        double s1 = 0;
        double s2 = 0;
        double s3 = 0;
        int i = from;
        int end = from + size;
        for (; i + 3 < end; i += 4) {
            double d0 = x[i] - mu;
            double d1 = x[i + 1] - mu;
            double d2 = x[i + 2] - mu;
            double d3 = x[i + 3] - mu;
            s0 += d0 * d0;
            s1 += d1 * d1;
            s2 += d2 * d2;
            s3 += d3 * d3;
        }
        for (; i < end; i++) {
            double d = x[i] - mu;
            s0 += d * d;
        }
        return (s0 + s1) + (s2 + s3);
    }
}
