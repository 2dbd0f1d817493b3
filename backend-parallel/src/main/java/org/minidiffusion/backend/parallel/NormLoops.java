package org.minidiffusion.backend.parallel;

/**
 * The inner loops of the normalisation and softmax kernels over one contiguous run: on the Vector
 * API ({@link SimdNorms}) when {@code simd} is set, else in plain Java, here.
 *
 * <p>Sums are accumulated in {@code double}. The plain sums keep two or four independent chains of
 * additions, so they are not bound by the latency of one addition per element. Element-wise passes
 * stay in float, where the JIT vectorises the plain loops. A mean {@code μ} subtracted in float is
 * split into two floats, {@code μ = hi + lo}, and {@code (x − hi) − lo} is accurate to about an ulp
 * of {@code x − μ} (see {@link GroupNormKernel}).
 */
final class NormLoops {
    private NormLoops() {
    }

    /** Returns {@code Σ x[from + i]} for {@code i < n}. */
    static double sum(boolean simd, float[] x, int from, int n) {
        if (simd) {
            return SimdNorms.sum(x, from, n);
        }
        double s0 = 0;
        double s1 = 0;
        double s2 = 0;
        double s3 = 0;
        int i = from;
        int end = from + n;
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

    /** Returns {@code Σ (x[from + i] − mu)²} for {@code i < n}. */
    static double squares(boolean simd, float[] x, int from, int n, double mu) {
        if (simd) {
            return SimdNorms.squares(x, from, n, mu);
        }
        double s0 = 0;
        double s1 = 0;
        int i = from;
        int end = from + n;
        for (; i + 1 < end; i += 2) {
            double d0 = x[i] - mu;
            double d1 = x[i + 1] - mu;
            s0 += d0 * d0;
            s1 += d1 * d1;
        }
        for (; i < end; i++) {
            double d = x[i] - mu;
            s0 += d * d;
        }
        return s0 + s1;
    }

    /** Returns {@code Σ a[from + i]·b[from + i]} for {@code i < n}. */
    static double dot(boolean simd, float[] a, float[] b, int from, int n) {
        if (simd) {
            return SimdNorms.dot(a, b, from, n);
        }
        double s0 = 0;
        double s1 = 0;
        int i = from;
        int end = from + n;
        for (; i + 1 < end; i += 2) {
            s0 += (double) a[i] * b[i];
            s1 += (double) a[i + 1] * b[i + 1];
        }
        for (; i < end; i++) {
            s0 += (double) a[i] * b[i];
        }
        return s0 + s1;
    }

    /**
     * Writes the two sums of a norm's input gradient over a run, with {@code dy = g[from + i]·w[i]}
     * ({@code w} null for 1): {@code out[0] = Σ dy} and {@code out[1] = Σ dy·(x[from + i] − mu)}.
     */
    static void gradSums(boolean simd, float[] g, float[] x, int from, int n, float[] w, double mu, double[] out) {
        if (simd && w == null) {
            SimdNorms.gradSums(g, x, from, n, mu, out);
            return;
        }
        if (simd) {
            SimdNorms.gradSumsScaled(g, x, from, n, w, mu, out);
            return;
        }
        double a0 = 0;
        double a1 = 0;
        double b0 = 0;
        double b1 = 0;
        int i = 0;
        for (; i + 1 < n; i += 2) {
            double dy0 = w == null ? g[from + i] : (double) g[from + i] * w[i];
            double dy1 = w == null ? g[from + i + 1] : (double) g[from + i + 1] * w[i + 1];
            a0 += dy0;
            a1 += dy1;
            b0 += dy0 * (x[from + i] - mu);
            b1 += dy1 * (x[from + i + 1] - mu);
        }
        for (; i < n; i++) {
            double dy = w == null ? g[from + i] : (double) g[from + i] * w[i];
            a0 += dy;
            b0 += dy * (x[from + i] - mu);
        }
        out[0] = a0 + a1;
        out[1] = b0 + b1;
    }

    /**
     * Adds one row's share of a norm's parameter gradients, per feature {@code i}:
     * {@code sumDyXHat[at + i] += g·(x − mu)·r} and {@code sumDy[at + i] += g}, either array null
     * when not needed.
     */
    static void addColumns(boolean simd, float[] g, float[] x, int from, int n, double mu, double r,
                           double[] sumDyXHat, int at, double[] sumDy) {
        if (sumDyXHat != null && simd) {
            SimdNorms.addDyXHat(g, x, from, n, mu, r, sumDyXHat, at);
        } else if (sumDyXHat != null) {
            for (int i = 0; i < n; i++) {
                sumDyXHat[at + i] += g[from + i] * ((x[from + i] - mu) * r);
            }
        }
        if (sumDy != null && simd) {
            SimdNorms.addDy(g, from, n, sumDy, at);
        } else if (sumDy != null) {
            for (int i = 0; i < n; i++) {
                sumDy[at + i] += g[from + i];
            }
        }
    }

    /**
     * Normalises a run: {@code out = ((x − muHi) − muLo)·r·gamma[i] + beta[i]}, {@code gamma} null
     * for 1 and {@code beta} null for 0.
     */
    static void normalise(boolean simd, float[] x, int from, int n, float muHi, float muLo, float r, float[] gamma,
                          float[] beta, float[] out) {
        if (simd && gamma == null && beta == null) {
            SimdNorms.normalise(x, from, n, muHi, muLo, r, out);
            return;
        }
        if (simd && gamma != null) {
            if (beta == null) {
                SimdNorms.normaliseScaled(x, from, n, muHi, muLo, r, gamma, out);
            } else {
                SimdNorms.normaliseAffine(x, from, n, muHi, muLo, r, gamma, beta, out);
            }
            return;
        } // a shift without a scale, which no layer uses, takes the plain loop
        for (int i = 0; i < n; i++) {
            float v = ((x[from + i] - muHi) - muLo) * r;
            v = gamma == null ? v : v * gamma[i];
            out[from + i] = beta == null ? v : v + beta[i];
        }
    }

    /**
     * Writes a norm's input gradient over a run:
     * {@code gradX = dy·p + ((x − muHi) − muLo)·q + s}, with {@code dy = g[from + i]·w[i]}.
     */
    static void gradInput(boolean simd, float[] g, float[] x, int from, int n, float[] w, float p, float muHi,
                          float muLo, float q, float s, float[] gradX) {
        if (simd && w == null) {
            SimdNorms.gradInput(g, x, from, n, p, muHi, muLo, q, s, gradX);
            return;
        }
        if (simd) {
            SimdNorms.gradInputScaled(g, x, from, n, w, p, muHi, muLo, q, s, gradX);
            return;
        }
        for (int i = 0; i < n; i++) {
            float dy = w == null ? g[from + i] : g[from + i] * w[i];
            gradX[from + i] = dy * p + ((x[from + i] - muHi) - muLo) * q + s;
        }
    }

    /** Writes the softmax's input gradient over a run: {@code gradX = y·(g − s)}. */
    static void softmaxGrad(boolean simd, float[] y, float[] g, int from, int n, float s, float[] gradX) {
        if (simd) {
            SimdNorms.softmaxGrad(y, g, from, n, s, gradX);
            return;
        }
        for (int i = from; i < from + n; i++) {
            gradX[i] = y[i] * (g[i] - s);
        }
    }
}
