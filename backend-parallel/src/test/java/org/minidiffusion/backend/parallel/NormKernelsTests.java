package org.minidiffusion.backend.parallel;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.minidiffusion.core.api.Backends;
import org.minidiffusion.core.api.Rng;
import org.minidiffusion.core.api.Shape;
import org.minidiffusion.core.spi.Kernels;
import org.minidiffusion.testkit.TensorAssert;
import org.minidiffusion.testkit.Tolerance;

/**
 * Calls the fused norm and softmax kernels directly, on the Vector API path and on the plain-Java
 * path in the same JVM, and compares every output with the scalar reference's under
 * {@link Tolerance#DEFAULT}. It covers what the test kit's tensor-level cases do not reach: each
 * subset of the gradients a backward pass may ask for (an input that needs no gradient passes null),
 * and outputs that hold NaN before the call, since a kernel writes its whole output without reading
 * it first.
 */
class NormKernelsTests {

    private final Kernels reference = Backends.get("scalar").kernels();

    /** Normal values of standard deviation {@code scale} plus {@code shift}. */
    private static float[] normal(long seed, int n, double scale, double shift) {
        Rng rng = new Rng(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (rng.nextGaussian() * scale + shift);
        }
        return v;
    }

    private static float[] nan(int n) {
        float[] v = new float[n];
        Arrays.fill(v, Float.NaN);
        return v;
    }

    /** Both paths of the parallel backend; the Vector API one only where the module is present. */
    private static List<ParallelKernels> paths() {
        List<ParallelKernels> paths = new ArrayList<>(List.of(new ParallelKernels(false)));
        if (Simd.status().active()) {
            paths.add(new ParallelKernels(true));
        }
        return paths;
    }

    private static String path(ParallelKernels k) {
        return k.simd() ? "parallel (Vector API)" : "parallel (plain Java)";
    }

    /**
     * Runs {@code call} on the reference and on each path with fresh NaN-filled outputs of the given
     * sizes (a size of -1 passes null) and compares the outputs.
     */
    private void compare(String kernel, int[] sizes, KernelCall call) {
        float[][] expected = outputs(sizes);
        call.run(reference, expected);
        List<Executable> checks = new ArrayList<>();
        for (ParallelKernels k : paths()) {
            float[][] actual = outputs(sizes);
            call.run(k, actual);
            for (int i = 0; i < sizes.length; i++) {
                if (sizes[i] < 0) {
                    continue;
                }
                float[] e = expected[i];
                float[] a = actual[i];
                String what = kernel + " output " + i;
                checks.add(() -> {
                    Optional<String> msg = TensorAssert.compare(Tolerance.DEFAULT, path(k), what, Shape.of(e.length),
                            TensorAssert.toDoubles(e), TensorAssert.toDoubles(a));
                    assertTrue(msg.isEmpty(), msg.orElse(""));
                });
            }
        }
        assertAll(kernel, checks);
    }

    private static float[][] outputs(int[] sizes) {
        float[][] out = new float[sizes.length][];
        for (int i = 0; i < sizes.length; i++) {
            out[i] = sizes[i] < 0 ? null : nan(sizes[i]);
        }
        return out;
    }

    /** One kernel call writing into {@code out}. */
    @FunctionalInterface
    private interface KernelCall {
        void run(Kernels k, float[][] out);
    }

    /** Group norm's gradient for every subset of (gradX, gradGamma, gradBeta), with and without gamma. */
    @Test
    void groupNormBackwardMatchesTheReferenceForEveryRequestedGradient() {
        int batch = 3;
        int channels = 12;
        int spatial = 37; // not a multiple of any vector length
        int groups = 4;
        int n = batch * channels * spatial;
        float[] x = normal(1, n, 1.5, 3);
        float[] gy = normal(2, n, 0.25, 0);
        float[] gamma = normal(3, channels, 0.5, 1);
        float[] beta = normal(4, channels, 0.5, 0);
        float[] y = new float[n];
        float[] mean = new float[batch * groups];
        float[] rstd = new float[batch * groups];
        reference.groupNorm(x, batch, channels, spatial, groups, gamma, beta, 1e-5f, y, mean, rstd);
        for (float[] g : new float[][] {gamma, null}) {
            forEachSubset(new int[] {n, channels, channels}, sizes -> compare(
                    "groupNormBackward gamma " + (g != null) + " outputs " + Arrays.toString(sizes), sizes,
                    (k, out) -> k.groupNormBackward(x, gy, batch, channels, spatial, groups, g, mean, rstd,
                            out[0], out[1], out[2])));
        }
    }

    /** Layer norm and RMS norm, forward and every subset of their gradients, over several row blocks. */
    @Test
    void rowNormsMatchTheReferenceForEveryRequestedGradient() {
        for (int features : new int[] {64, 37, 3}) {
            int rows = 2 * 32768 / (8 * features) + 5; // several blocks of the backward pass, the last one ragged
            int n = rows * features;
            float[] x = normal(5, n, 1.5, 0.7);
            float[] gy = normal(6, n, 0.05, 0);
            float[] gamma = normal(7, features, 0.5, 1);
            float[] beta = normal(8, features, 0.5, 0);
            String f = " features " + features;
            compare("layerNorm" + f, new int[] {n, rows, rows},
                    (k, out) -> k.layerNorm(x, rows, features, gamma, beta, 1e-5f, out[0], out[1], out[2]));
            compare("rmsNorm" + f, new int[] {n, rows},
                    (k, out) -> k.rmsNorm(x, rows, features, gamma, 1e-6f, out[0], out[1]));
            float[] y = new float[n];
            float[] mean = new float[rows];
            float[] rstd = new float[rows];
            float[] rmsRstd = new float[rows];
            reference.layerNorm(x, rows, features, gamma, beta, 1e-5f, y, mean, rstd);
            reference.rmsNorm(x, rows, features, gamma, 1e-6f, y, rmsRstd);
            for (float[] g : new float[][] {gamma, null}) {
                String gs = f + " gamma " + (g != null) + " outputs ";
                forEachSubset(new int[] {n, features, features}, sizes -> compare("layerNormBackward" + gs
                        + Arrays.toString(sizes), sizes, (k, out) -> k.layerNormBackward(x, gy, rows, features, g,
                        mean, rstd, out[0], out[1], out[2])));
                forEachSubset(new int[] {n, features}, sizes -> compare("rmsNormBackward" + gs
                        + Arrays.toString(sizes), sizes, (k, out) -> k.rmsNormBackward(x, gy, rows, features, g,
                        rmsRstd, out[0], out[1])));
            }
        }
    }

    /** Softmax and log-softmax gradients along a last axis (rows) and a middle one (columns). */
    @Test
    void softmaxBackwardMatchesTheReference() {
        int[][] shapes = {{64 * 48, 48, 1}, {9, 37, 1}, {3, 41, 70}};
        for (int[] s : shapes) {
            int n = s[0] * s[1] * s[2];
            float[] logits = normal(9, n, 2, 0);
            float[] gy = normal(10, n, 1, 0);
            for (boolean log : new boolean[] {false, true}) {
                float[] y = new float[n];
                reference.softmax(logits, s[0], s[1], s[2], log, y);
                compare((log ? "logSoftmax" : "softmax") + "Backward " + Arrays.toString(s), new int[] {n},
                        (k, out) -> k.softmaxBackward(y, gy, s[0], s[1], s[2], log, out[0]));
            }
        }
    }

    /** The Vector API path really runs the fused kernels when the module is present. */
    @Test
    void theVectorApiPathRuns() {
        Assumptions.assumeTrue(Simd.status().active(), "the Vector API module is absent in this JVM");
        long before = Simd.uses();
        float[] x = normal(11, 64, 1, 0);
        new ParallelKernels(true).layerNorm(x, 1, 64, null, null, 1e-5f, new float[64], new float[1], new float[1]);
        assertTrue(Simd.uses() > before, "layerNorm did not run on the Vector API path");
    }

    /** Calls {@code body} with {@code sizes} where each nonempty subset of the outputs is kept and the rest are -1. */
    private static void forEachSubset(int[] sizes, Consumer<int[]> body) {
        for (int mask = 1; mask < 1 << sizes.length; mask++) {
            int[] s = sizes.clone();
            for (int i = 0; i < s.length; i++) {
                if ((mask & 1 << i) == 0) {
                    s[i] = -1;
                }
            }
            body.accept(s);
        }
    }
}
