package org.minidiffusion.backend.parallel;

/**
 * Per-thread scratch arrays, so that packing buffers are not allocated and zeroed on every call.
 *
 * <p>A buffer is taken out of its thread's slot and put back when done: while it is out, the slot
 * is empty, so a nested use on the same thread gets a fresh array. That happens when a fork-join
 * worker waiting in {@link Parallel} runs another task that needs the same slot, so correctness
 * never depends on how tasks are scheduled. Buffers come back with stale contents; every user
 * writes each element before reading it.
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

    /** The largest array kept for reuse, in floats (16 MiB). */
    private static final int MAX_KEPT = 1 << 22;

    private static final ThreadLocal<float[][]> SLOTS = ThreadLocal.withInitial(() -> new float[5][]);

    private Scratch() {
    }

    /**
     * Takes this thread's array in {@code slot} if it has at least {@code size} floats, else a new one.
     *
     * @param slot the slot
     * @param size the floats needed
     * @return an array of at least {@code size} floats, with arbitrary contents
     */
    static float[] take(int slot, int size) {
        float[][] slots = SLOTS.get();
        float[] buffer = slots[slot];
        slots[slot] = null;
        return buffer != null && buffer.length >= size ? buffer : new float[size];
    }

    /**
     * Puts an array taken from {@code slot} back for reuse on this thread, unless it is too large.
     *
     * @param slot   the slot
     * @param buffer the array
     */
    static void give(int slot, float[] buffer) {
        if (buffer.length <= MAX_KEPT) {
            SLOTS.get()[slot] = buffer;
        }
    }
}
