package org.minidiffusion.backend.parallel;

import java.util.Arrays;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The loops of the normalisation and softmax kernels on the Vector API: sums in {@code double} over
 * floats widened a vector at a time (which the JIT does not do for a plain loop), and the float
 * element-wise passes.
 *
 * <p>Loaded only when {@link Simd} has found the module, like {@link SimdSums}. Each method is one
 * case of a plain-Java loop in {@link NormLoops}, which picks it: one method per case (with or
 * without a scale, a shift), not a branch inside a vector loop, so that the JIT compiles each from
 * a profile of its own and keeps its vectors in registers instead of boxing them. The element-wise
 * passes round exactly as the plain loops (no fused multiply-add), so they agree bit for bit; the
 * sums are added lane by lane and then across lanes, an order that differs from the plain loop's by
 * rounding in {@code double} only.
 */
final class SimdNorms {

    /** Doubles of the preferred size: 4 with AVX2, 8 with AVX-512. */
    private static final VectorSpecies<Double> D = DoubleVector.SPECIES_PREFERRED;

    /** Floats of the preferred size, for the element-wise passes and for widening. */
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    private SimdNorms() {
    }

    /**
     * Returns {@code a[from .. from + D.length())} widened to double: the low half of a float vector
     * of the preferred size, loaded from a zero-padded copy where it would end past the array.
     *
     * <p>Not a float vector of half the size, though it holds exactly these lanes: every float vector
     * of the backend has the preferred size. Running a second size, the JDK's Java fallback of the
     * conversion (interpreted or in C1, before C2 compiles this) calls {@code FloatVector.intoArray}
     * on it, whose type profile all callers share; C2 then compiled {@link SimdOptimizer#adam} in
     * some JVMs with that store not intrinsified, boxing its vectors: about 312 MiB per U-Net
     * training step, for the life of the JVM ({@code bench/PROFILE.md}).
     *
     * @param a    the floats
     * @param from the first index, with {@code from + D.length() <= a.length}
     * @return the widened lanes
     */
    static DoubleVector widen(float[] a, int from) {
        float[] src = a;
        int offset = from;
        if (from > a.length - F.length()) { // the upper half would be read past the end
            src = Arrays.copyOfRange(a, from, from + F.length());
            offset = 0;
        }
        return (DoubleVector) FloatVector.fromArray(F, src, offset).convertShape(VectorOperators.F2D, D, 0);
    }

    // ------------------------------------------------------------------ sums in double

    /** See {@link NormLoops#sum}. */
    static double sum(float[] x, int from, int n) {
        DoubleVector acc = DoubleVector.zero(D);
        int i = 0;
        for (int end = D.loopBound(n); i < end; i += D.length()) {
            acc = acc.add(widen(x, from + i));
        }
        double s = acc.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            s += x[from + i];
        }
        return s;
    }

    /** See {@link NormLoops#squares}. */
    static double squares(float[] x, int from, int n, double mu) {
        DoubleVector vmu = DoubleVector.broadcast(D, mu);
        DoubleVector acc = DoubleVector.zero(D);
        int i = 0;
        for (int end = D.loopBound(n); i < end; i += D.length()) {
            DoubleVector d = widen(x, from + i).sub(vmu);
            acc = d.fma(d, acc);
        }
        double s = acc.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            double d = x[from + i] - mu;
            s += d * d;
        }
        return s;
    }

    /** See {@link NormLoops#dot}. */
    static double dot(float[] a, float[] b, int from, int n) {
        DoubleVector acc = DoubleVector.zero(D);
        int i = 0;
        for (int end = D.loopBound(n); i < end; i += D.length()) {
            acc = widen(a, from + i).fma(widen(b, from + i), acc);
        }
        double s = acc.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            s += (double) a[from + i] * b[from + i];
        }
        return s;
    }

    /** {@link NormLoops#gradSums} without a scale: {@code dy = g}. */
    static void gradSums(float[] g, float[] x, int from, int n, double mu, double[] out) {
        DoubleVector vmu = DoubleVector.broadcast(D, mu);
        DoubleVector sumDy = DoubleVector.zero(D);
        DoubleVector sumDyXc = DoubleVector.zero(D);
        int i = 0;
        for (int end = D.loopBound(n); i < end; i += D.length()) {
            DoubleVector dy = widen(g, from + i);
            sumDy = sumDy.add(dy);
            sumDyXc = dy.fma(widen(x, from + i).sub(vmu), sumDyXc);
        }
        double a = sumDy.reduceLanes(VectorOperators.ADD);
        double b = sumDyXc.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            double dy = g[from + i];
            a += dy;
            b += dy * (x[from + i] - mu);
        }
        out[0] = a;
        out[1] = b;
    }

    /** {@link NormLoops#gradSums} with a scale: {@code dy = g·w}. */
    static void gradSumsScaled(float[] g, float[] x, int from, int n, float[] w, double mu, double[] out) {
        DoubleVector vmu = DoubleVector.broadcast(D, mu);
        DoubleVector sumDy = DoubleVector.zero(D);
        DoubleVector sumDyXc = DoubleVector.zero(D);
        int i = 0;
        for (int end = D.loopBound(n); i < end; i += D.length()) {
            DoubleVector dy = widen(g, from + i).mul(widen(w, i));
            sumDy = sumDy.add(dy);
            sumDyXc = dy.fma(widen(x, from + i).sub(vmu), sumDyXc);
        }
        double a = sumDy.reduceLanes(VectorOperators.ADD);
        double b = sumDyXc.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            double dy = (double) g[from + i] * w[i];
            a += dy;
            b += dy * (x[from + i] - mu);
        }
        out[0] = a;
        out[1] = b;
    }

    /** The {@code sumDyXHat} half of {@link NormLoops#addColumns}. */
    static void addDyXHat(float[] g, float[] x, int from, int n, double mu, double r, double[] sumDyXHat, int at) {
        DoubleVector vmu = DoubleVector.broadcast(D, mu);
        int i = 0;
        for (int end = D.loopBound(n); i < end; i += D.length()) {
            DoubleVector xHat = widen(x, from + i).sub(vmu).mul(r);
            widen(g, from + i).fma(xHat, DoubleVector.fromArray(D, sumDyXHat, at + i)).intoArray(sumDyXHat, at + i);
        }
        for (; i < n; i++) {
            sumDyXHat[at + i] += g[from + i] * ((x[from + i] - mu) * r);
        }
    }

    /** The {@code sumDy} half of {@link NormLoops#addColumns}. */
    static void addDy(float[] g, int from, int n, double[] sumDy, int at) {
        int i = 0;
        for (int end = D.loopBound(n); i < end; i += D.length()) {
            widen(g, from + i).add(DoubleVector.fromArray(D, sumDy, at + i)).intoArray(sumDy, at + i);
        }
        for (; i < n; i++) {
            sumDy[at + i] += g[from + i];
        }
    }

    // ------------------------------------------------------------------ element-wise passes in float

    /** {@link NormLoops#normalise} without scale and shift. */
    static void normalise(float[] x, int from, int n, float muHi, float muLo, float r, float[] out) {
        int i = 0;
        for (int end = F.loopBound(n); i < end; i += F.length()) {
            FloatVector.fromArray(F, x, from + i).sub(muHi).sub(muLo).mul(r).intoArray(out, from + i);
        }
        for (; i < n; i++) {
            out[from + i] = ((x[from + i] - muHi) - muLo) * r;
        }
    }

    /** {@link NormLoops#normalise} with a scale and no shift. */
    static void normaliseScaled(float[] x, int from, int n, float muHi, float muLo, float r, float[] gamma,
                                float[] out) {
        int i = 0;
        for (int end = F.loopBound(n); i < end; i += F.length()) {
            FloatVector.fromArray(F, x, from + i).sub(muHi).sub(muLo).mul(r).mul(FloatVector.fromArray(F, gamma, i))
                    .intoArray(out, from + i);
        }
        for (; i < n; i++) {
            out[from + i] = ((x[from + i] - muHi) - muLo) * r * gamma[i];
        }
    }

    /** {@link NormLoops#normalise} with a scale and a shift. */
    static void normaliseAffine(float[] x, int from, int n, float muHi, float muLo, float r, float[] gamma,
                                float[] beta, float[] out) {
        int i = 0;
        for (int end = F.loopBound(n); i < end; i += F.length()) {
            FloatVector.fromArray(F, x, from + i).sub(muHi).sub(muLo).mul(r).mul(FloatVector.fromArray(F, gamma, i))
                    .add(FloatVector.fromArray(F, beta, i)).intoArray(out, from + i);
        }
        for (; i < n; i++) {
            out[from + i] = ((x[from + i] - muHi) - muLo) * r * gamma[i] + beta[i];
        }
    }

    /** {@link NormLoops#gradInput} without a scale: {@code dy = g}. */
    static void gradInput(float[] g, float[] x, int from, int n, float p, float muHi, float muLo, float q, float s,
                          float[] gradX) {
        int i = 0;
        for (int end = F.loopBound(n); i < end; i += F.length()) {
            FloatVector xc = FloatVector.fromArray(F, x, from + i).sub(muHi).sub(muLo);
            FloatVector.fromArray(F, g, from + i).mul(p).add(xc.mul(q)).add(s).intoArray(gradX, from + i);
        }
        for (; i < n; i++) {
            gradX[from + i] = g[from + i] * p + ((x[from + i] - muHi) - muLo) * q + s;
        }
    }

    /** {@link NormLoops#gradInput} with a scale: {@code dy = g·w}. */
    static void gradInputScaled(float[] g, float[] x, int from, int n, float[] w, float p, float muHi, float muLo,
                                float q, float s, float[] gradX) {
        int i = 0;
        for (int end = F.loopBound(n); i < end; i += F.length()) {
            FloatVector dy = FloatVector.fromArray(F, g, from + i).mul(FloatVector.fromArray(F, w, i));
            FloatVector xc = FloatVector.fromArray(F, x, from + i).sub(muHi).sub(muLo);
            dy.mul(p).add(xc.mul(q)).add(s).intoArray(gradX, from + i);
        }
        for (; i < n; i++) {
            gradX[from + i] = g[from + i] * w[i] * p + ((x[from + i] - muHi) - muLo) * q + s;
        }
    }

    /** See {@link NormLoops#softmaxGrad}. */
    static void softmaxGrad(float[] y, float[] g, int from, int n, float s, float[] gradX) {
        int i = 0;
        for (int end = F.loopBound(n); i < end; i += F.length()) {
            FloatVector yv = FloatVector.fromArray(F, y, from + i);
            yv.mul(FloatVector.fromArray(F, g, from + i).sub(s)).intoArray(gradX, from + i);
        }
        for (; i < n; i++) {
            gradX[from + i] = y[from + i] * (g[from + i] - s);
        }
    }
}
