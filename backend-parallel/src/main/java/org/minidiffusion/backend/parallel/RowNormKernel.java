package org.minidiffusion.backend.parallel;

/**
 * Layer normalisation (Ba, Kiros and Hinton 2016, eq. 4) and RMS normalisation (Zhang and Sennrich
 * 2019, eq. 4) over the last dim of a contiguous {@code (rows, features)} tensor, forward beside
 * backward. RMS norm is layer norm with {@code μ = 0}, no shift, and no {@code mean(dx̂)} term in the
 * gradient, so one code path serves both, told apart by a null {@code mean}.
 *
 * <p>The forward pass runs in parallel over blocks of rows. The backward pass does too, and each
 * block also sums its rows' shares of the parameter gradients into a {@code double} row of its own;
 * those rows are added in block order at the end. The blocks depend on the shape only, not on the
 * number of cores, so the result is the same on every machine.
 */
final class RowNormKernel {

    /** Scalar operations below which a block of work is not split further. */
    private static final int GRAIN = 1 << 15;

    private RowNormKernel() {
    }

    /**
     * See {@link org.minidiffusion.core.spi.Kernels#layerNorm}, and {@link
     * org.minidiffusion.core.spi.Kernels#rmsNorm} when {@code mean} is null (then {@code beta} is too).
     */
    static void forward(float[] x, int rows, int features, float[] gamma, float[] beta, float eps, float[] out,
                        float[] mean, float[] rstd, boolean simd) {
        Parallel.parallelRange(rows, Math.max(1, GRAIN / (4 * features)), (r0, r1) -> {
            for (int row = r0; row < r1; row++) {
                int from = row * features;
                // two passes in double: μ, then mean((x − μ)²); RMS norm takes μ = 0, so its σ² is mean(x²)
                double mu = mean == null ? 0 : NormLoops.sum(simd, x, from, features) / features;
                double variance = NormLoops.squares(simd, x, from, features, mu) / features;
                float r = (float) (1 / Math.sqrt(variance + eps));
                if (mean != null) {
                    mean[row] = (float) mu;
                }
                rstd[row] = r;
                float muHi = (float) mu;
                NormLoops.normalise(simd, x, from, features, muHi, (float) (mu - muHi), r, gamma, beta, out);
            }
        });
    }

    /**
     * See {@link org.minidiffusion.core.spi.Kernels#layerNormBackward}, and {@link
     * org.minidiffusion.core.spi.Kernels#rmsNormBackward} when {@code mean} is null (then
     * {@code gradBeta} is too).
     */
    static void backward(float[] x, float[] gradY, int rows, int features, float[] gamma, float[] mean, float[] rstd,
                         float[] gradX, float[] gradGamma, float[] gradBeta, boolean simd) {
        int blockRows = Math.max(1, GRAIN / (8 * features));
        int blocks = Parallel.ceilDiv(rows, blockRows);
        double[] sumDyXHat = gradGamma == null ? null : new double[blocks * features]; // per block and feature
        double[] sumDy = gradBeta == null ? null : new double[blocks * features];
        Parallel.parallelFor(blocks, 10L * rows * features, b -> {
            double[] two = new double[2];
            for (int row = b * blockRows; row < Math.min(rows, (b + 1) * blockRows); row++) {
                int from = row * features;
                double mu = mean == null ? 0 : mean[row];
                double r = rstd[row];
                if (sumDyXHat != null || sumDy != null) {
                    NormLoops.addColumns(simd, gradY, x, from, features, mu, r, sumDyXHat, b * features, sumDy);
                }
                if (gradX == null) {
                    continue;
                }
                // Σ dx̂ and Σ dx̂·(x − μ) with dx̂ = γ·dy; then, as for group norm,
                // dx = rstd·(dx̂ − mean(dx̂) − x̂·mean(dx̂·x̂)) = dx̂·rstd + (x − μ)·q + s
                NormLoops.gradSums(simd, gradY, x, from, features, gamma, mu, two);
                float q = (float) (-r * r * r * two[1] / features);
                float s = mean == null ? 0f : (float) (-r * two[0] / features);
                float muHi = (float) mu;
                NormLoops.gradInput(simd, gradY, x, from, features, gamma, (float) r, muHi, (float) (mu - muHi), q, s,
                        gradX);
            }
        });
        // y = γ·x̂ + β: dγ = Σ_rows dy·x̂, dβ = Σ_rows dy, the blocks added in order
        for (int j = 0; j < features; j++) {
            double dGamma = 0;
            double dBeta = 0;
            for (int b = 0; b < blocks; b++) {
                dGamma += sumDyXHat == null ? 0 : sumDyXHat[b * features + j];
                dBeta += sumDy == null ? 0 : sumDy[b * features + j];
            }
            if (gradGamma != null) {
                gradGamma[j] = (float) dGamma;
            }
            if (gradBeta != null) {
                gradBeta[j] = (float) dBeta;
            }
        }
    }
}
