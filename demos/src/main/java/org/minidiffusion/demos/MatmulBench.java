package org.minidiffusion.demos;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.minidiffusion.core.api.Autograd;
import org.minidiffusion.core.api.Backend;
import org.minidiffusion.core.api.Rng;
import org.minidiffusion.core.api.Tensor;

/**
 * The matmul benchmark: times an {@code n x n @ n x n} product on every discovered backend and
 * reports GFLOP/s, counting {@code 2 n^3} floating-point operations per product.
 */
final class MatmulBench {
    /** The matrix size by default. */
    static final int DEFAULT_SIZE = 512;
    /** Timed products per backend by default. */
    static final int DEFAULT_ITERS = 5;
    /** Untimed products per backend by default, so the JIT compiles the kernel first. */
    static final int DEFAULT_WARMUP = 2;

    /** The command line of {@code bench}. */
    static final CliCommand COMMAND = CliCommand.named("bench",
                    "Time an NxN matmul on every discovered backend and print GFLOP/s (2 N^3 operations a product).")
            .option("size", "N", "the matrix size (default: " + DEFAULT_SIZE + ")")
            .option("iters", "N", "timed products per backend (default: " + DEFAULT_ITERS + ")")
            .option("warmup", "N", "untimed products first, for the JIT (default: " + DEFAULT_WARMUP + ")")
            .build();

    private MatmulBench() {
    }

    /**
     * One backend's timings.
     *
     * @param backend the backend
     * @param seconds the time of each timed product, sorted ascending
     */
    record Timing(Backend backend, double[] seconds) {
        /**
         * Returns the fastest time.
         *
         * @return seconds
         */
        double best() {
            return seconds[0];
        }

        /**
         * Returns the median time.
         *
         * @return seconds
         */
        double median() {
            int n = seconds.length;
            return n % 2 == 1 ? seconds[n / 2] : (seconds[n / 2 - 1] + seconds[n / 2]) / 2;
        }
    }

    /**
     * Benchmarks each backend in turn, printing a line per backend and the speed-up of the
     * parallel backend over the scalar one if both are present.
     *
     * @param backends the backends to time
     * @param size     the matrix size
     * @param warmup   untimed products per backend
     * @param iters    timed products per backend
     * @param out      where results go
     * @return the timings, in the order of {@code backends}
     */
    static List<Timing> run(List<Backend> backends, int size, int warmup, int iters, PrintStream out) {
        double flops = 2.0 * size * size * size;
        out.printf(Locale.ROOT, "matmul %dx%d @ %dx%d (%.3f GFLOP per product), %d warm-up + %d timed per backend%n",
                size, size, size, size, flops / 1e9, warmup, iters);
        List<Timing> timings = new ArrayList<>();
        List<float[]> products = new ArrayList<>();
        for (Backend backend : backends) {
            // The same seed gives the same operands on every backend.
            Rng rng = new Rng(1);
            Tensor x = backend.randn(rng, size, size);
            Tensor y = backend.randn(rng, size, size);
            double[] seconds = new double[iters];
            products.add(time(x, y, warmup, seconds));
            Timing t = new Timing(backend, seconds);
            timings.add(t);
            out.printf(Locale.ROOT, "%-10s best %8.2f ms (%7.2f GFLOP/s)   median %8.2f ms (%7.2f GFLOP/s)%n",
                    backend.id(), 1e3 * t.best(), flops / t.best() / 1e9, 1e3 * t.median(), flops / t.median() / 1e9);
        }
        // Compare the products with the scalar reference backend's, if it was timed.
        int ref = backends.stream().map(Backend::id).toList().indexOf("scalar");
        for (int b = 0; ref >= 0 && b < backends.size(); b++) {
            if (b != ref) {
                out.printf(Locale.ROOT, "%s product differs from scalar by at most %.2e%n",
                        backends.get(b).id(), maxAbsDiff(products.get(b), products.get(ref)));
            }
        }
        Timing scalar = find(timings, "scalar");
        Timing parallel = find(timings, "parallel");
        if (scalar != null && parallel != null) {
            out.printf(Locale.ROOT, "parallel/scalar speed-up: %.1fx (best), %.1fx (median), on %d available processors%n",
                    scalar.best() / parallel.best(), scalar.median() / parallel.median(),
                    Runtime.getRuntime().availableProcessors());
        }
        return List.copyOf(timings);
    }

    private static double maxAbsDiff(float[] a, float[] b) {
        double max = 0;
        for (int i = 0; i < a.length; i++) {
            max = Math.max(max, Math.abs(a[i] - b[i]));
        }
        return max;
    }

    /**
     * Multiplies {@code x @ y} without recording, {@code warmup} times untimed and then once per
     * entry of {@code seconds}, which receives the sorted times.
     *
     * @param x       the left operand
     * @param y       the right operand
     * @param warmup  untimed products
     * @param seconds receives the time of each timed product, sorted ascending
     * @return the values of the last product
     */
    @SuppressWarnings("try") // the scope is only opened and closed
    private static float[] time(Tensor x, Tensor y, int warmup, double[] seconds) {
        try (Autograd.Scope noGrad = Autograd.noGrad()) {
            Tensor product = null;
            for (int i = 0; i < warmup; i++) {
                product = x.matmul(y);
            }
            for (int i = 0; i < seconds.length; i++) {
                long t0 = System.nanoTime();
                product = x.matmul(y);
                seconds[i] = (System.nanoTime() - t0) / 1e9;
            }
            Arrays.sort(seconds);
            return product.toArray();
        }
    }

    private static Timing find(List<Timing> timings, String id) {
        for (Timing t : timings) {
            if (t.backend().id().equals(id)) {
                return t;
            }
        }
        return null;
    }
}
