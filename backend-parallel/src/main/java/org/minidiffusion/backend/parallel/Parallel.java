package org.minidiffusion.backend.parallel;

import java.util.function.IntConsumer;
import java.util.stream.IntStream;

/**
 * The one place where this backend goes parallel, in the style of llama3.java's {@code parallelFor}.
 *
 * <p>Loops are split over the common fork-join pool with a parallel {@link IntStream}; the calling
 * thread takes part. Callers parallelise one outer loop (batch, rows, channels, planes) and never
 * nest these calls. Small loops run serially, since forking costs a few microseconds.
 */
final class Parallel {

    /** The number of cores the pool can use, counting the calling thread. */
    static final int CORES = Runtime.getRuntime().availableProcessors();

    /** Below this many scalar operations of total work a loop runs on the calling thread. */
    static final long MIN_PARALLEL_WORK = 1L << 15;

    private Parallel() {
    }

    /** A loop body over the index range {@code [from, to)}. */
    @FunctionalInterface
    interface RangeBody {
        /** Runs the body for indices {@code from <= i < to}. */
        void run(int from, int to);
    }

    /** Runs {@code body.accept(i)} for {@code 0 <= i < n}, in parallel when {@code n > 1}. */
    static void parallelFor(int n, IntConsumer body) {
        if (n <= 1 || CORES == 1) {
            serialFor(n, body);
        } else {
            IntStream.range(0, n).parallel().forEach(body);
        }
    }

    /**
     * Runs {@code body.accept(i)} for {@code 0 <= i < n}, in parallel only when {@code totalWork}, an
     * estimate of the scalar operations of the whole loop, makes forking worth it.
     */
    static void parallelFor(int n, long totalWork, IntConsumer body) {
        if (totalWork < MIN_PARALLEL_WORK) {
            serialFor(n, body);
        } else {
            parallelFor(n, body);
        }
    }

    /**
     * Splits {@code [0, size)} into contiguous ranges of at least {@code grain} indices, a few per
     * core, and runs {@code body} on each range, in parallel when there is more than one.
     */
    static void parallelRange(int size, int grain, RangeBody body) {
        int chunk = Math.max(Math.max(grain, 1), ceilDiv(size, 4 * CORES));
        parallelFor(ceilDiv(size, chunk), c -> {
            int from = c * chunk;
            body.run(from, size - from > chunk ? from + chunk : size);
        });
    }

    /** Returns {@code ceil(a / b)} for non-negative {@code a} and positive {@code b}. */
    static int ceilDiv(int a, int b) {
        return a == 0 ? 0 : (a - 1) / b + 1;
    }

    private static void serialFor(int n, IntConsumer body) {
        for (int i = 0; i < n; i++) {
            body.accept(i);
        }
    }
}
