package org.minidiffusion.backend.parallel;

/**
 * Group normalisation and its gradient, each in two passes over each group's contiguous values, one
 * task per {@code (sample, group)}.
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

    /**
     * See {@link org.minidiffusion.core.spi.Kernels#groupNormBackward}: one task per {@code (sample,
     * group)} sums {@code dy} and {@code dy·(x − μ)} of each channel in {@code double}, which gives
     * both the group's two means of the input gradient and the channel's share of the parameter
     * gradients, then writes the input gradient. The parameter gradients add the shares of the
     * samples in order afterwards.
     */
    static void backward(float[] x, float[] gradY, int batch, int channels, int spatial, int groups, float[] gamma,
                         float[] mean, float[] rstd, float[] gradX, float[] gradGamma, float[] gradBeta,
                         boolean simd) {
        int perGroup = channels / groups;
        int size = perGroup * spatial;
        double[] sumDy = new double[batch * channels];   // Σ_s dy of each (n, c)
        double[] sumDyXc = new double[batch * channels]; // Σ_s dy·(x − μ) of each (n, c)
        long work = (gradX == null ? 4L : 9L) * batch * channels * spatial;
        Parallel.parallelFor(batch * groups, work, ng -> {
            int first = ng / groups * channels + ng % groups * perGroup; // (n, c) of the group's first channel
            double mu = mean[ng];
            double r = rstd[ng];
            double[] two = new double[2];
            double sumDxHat = 0;   // Σ dx̂ = Σ γ·dy
            double sumDxHatXc = 0; // Σ dx̂·(x − μ)
            for (int j = 0; j < perGroup; j++) {
                int nc = first + j;
                NormLoops.gradSums(simd, gradY, x, nc * spatial, spatial, null, mu, two);
                sumDy[nc] = two[0];
                sumDyXc[nc] = two[1];
                double gc = gamma == null ? 1 : gamma[nc % channels];
                sumDxHat += gc * two[0];
                sumDxHatXc += gc * two[1];
            }
            if (gradX == null) {
                return;
            }
            // dx = rstd·(dx̂ − mean(dx̂) − x̂·mean(dx̂·x̂)), with x̂ = (x − μ)·rstd and mean(dx̂·x̂) = rstd·Σ dx̂·(x − μ) / M:
            // dx = dy·(rstd·γ) + (x − μ)·q + s, q = −rstd³·Σ dx̂·(x − μ) / M, s = −rstd·Σ dx̂ / M
            float q = (float) (-r * r * r * sumDxHatXc / size);
            float s = (float) (-r * sumDxHat / size);
            float muHi = (float) mu;
            float muLo = (float) (mu - muHi);
            for (int j = 0; j < perGroup; j++) {
                int nc = first + j;
                float p = (float) r * (gamma == null ? 1f : gamma[nc % channels]);
                NormLoops.gradInput(simd, gradY, x, nc * spatial, spatial, null, p, muHi, muLo, q, s, gradX);
            }
        });
        // eq. 3: dγ[c] = Σ_n rstd·Σ_s dy·(x − μ) and dβ[c] = Σ_n Σ_s dy, the samples added in order
        for (int c = 0; c < channels; c++) {
            double dGamma = 0;
            double dBeta = 0;
            for (int n = 0; n < batch; n++) {
                dGamma += sumDyXc[n * channels + c] * rstd[n * groups + c / perGroup];
                dBeta += sumDy[n * channels + c];
            }
            if (gradGamma != null) {
                gradGamma[c] = (float) dGamma;
            }
            if (gradBeta != null) {
                gradBeta[c] = (float) dBeta;
            }
        }
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
