package org.minidiffusion.backend.parallel;

import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * Scratch arrays kept between calls, so that packing buffers are not allocated and zeroed on every
 * call.
 *
 * <p>Each slot keeps a few free arrays, shared by all threads. A buffer is taken out of its slot
 * and given back when done; while it is out no other user can take it, so a nested use, or a
 * use on another thread, gets another array, and correctness never depends on how tasks are
 * scheduled. Buffers come back with stale contents; every user writes each element before reading
 * it.
 *
 * <p>The arrays are not kept per thread: on Java 17 the workers of the common fork-join pool,
 * which run the tasks of {@link Parallel}, erase their thread-locals after every top-level task, so
 * a thread-local buffer would be allocated anew by every worker in every parallel loop.
 */
final class Scratch {

    /** The packed block of A of a task. */
    static final int A = 0;

    /** The packed block of B of a task. */
    static final int B = 1;

    /** The micro-kernel's output tile. */
    static final int TILE = 2;

    /** B packed once for a whole call and shared by its tasks; taken by the calling thread. */
    static final int SHARED = 3;

    /** An im2col-shaped or output block of a convolution task. */
    static final int BLOCK = 4;

    private static final int SLOTS = 5;

    /** The largest array kept for reuse, in floats (16 MiB). */
    private static final int MAX_KEPT = 1 << 22;

    /**
     * Free arrays per slot: one per thread that can run a task at once, the caller included, and
     * two more for a caller outside the pool and a nested use.
     */
    private static final int KEPT = Parallel.CORES + 2;

    /** Free arrays of slot {@code s} at {@code [s * KEPT, (s + 1) * KEPT)}; null where none. */
    private static final AtomicReferenceArray<float[]> FREE = new AtomicReferenceArray<>(SLOTS * KEPT);

    private Scratch() {
    }

    /**
     * Takes the smallest free array of {@code slot} with at least {@code size} floats, else a new one.
     *
     * @param slot the slot
     * @param size the floats needed
     * @return an array of at least {@code size} floats, with arbitrary contents
     */
    static float[] take(int slot, int size) {
        for (int attempt = 0; attempt < KEPT; attempt++) {
            int best = -1;
            float[] fit = null;
            for (int i = slot * KEPT; i < (slot + 1) * KEPT; i++) {
                float[] a = FREE.get(i);
                if (a != null && a.length >= size && (fit == null || a.length < fit.length)) {
                    best = i;
                    fit = a;
                }
            }
            if (fit == null) {
                break;
            }
            if (FREE.compareAndSet(best, fit, null)) {
                return fit;
            }
        }
        return new float[size];
    }

    /**
     * Puts an array taken from {@code slot} back for reuse: in a free place, else instead of the
     * slot's smallest array if that is shorter; an array larger than 16 MiB is dropped.
     *
     * @param slot   the slot
     * @param buffer the array
     */
    static void give(int slot, float[] buffer) {
        if (buffer.length > MAX_KEPT) {
            return;
        }
        for (int attempt = 0; attempt < KEPT; attempt++) {
            int smallest = -1;
            float[] small = null;
            for (int i = slot * KEPT; i < (slot + 1) * KEPT; i++) {
                float[] a = FREE.get(i);
                if (a == null) {
                    if (FREE.compareAndSet(i, null, buffer)) {
                        return;
                    }
                } else if (a.length < buffer.length && (small == null || a.length < small.length)) {
                    smallest = i;
                    small = a;
                }
            }
            if (small == null || FREE.compareAndSet(smallest, small, buffer)) {
                return; // every kept array is at least as large, or this one took the smallest's place
            }
        }
    }
}
