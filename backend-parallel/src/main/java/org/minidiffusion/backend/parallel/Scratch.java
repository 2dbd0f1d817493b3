package org.minidiffusion.backend.parallel;

import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Scratch arrays shared by all threads, so that packing buffers are not allocated and zeroed on
 * every call.
 *
 * <p>A buffer is taken out of its slot's free list and put back when done; a take that finds no
 * free buffer large enough gets a new one, so nested or concurrent uses of a slot each get their
 * own buffer and correctness never depends on how tasks are scheduled. The lists are shared, not
 * per thread: the common fork-join pool erases its workers' thread-locals after every top-level
 * task, so per-thread buffers were allocated anew on every parallel call (about 29 MiB per U-Net
 * training step, measured). Each slot keeps {@link #KEPT_PER_SLOT} buffers at most, the largest
 * ones. Buffers come back with stale contents; every user writes each element before reading it.
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

    /** How many free buffers each slot keeps: as many as threads use at once, one per core. */
    static final int KEPT_PER_SLOT = Parallel.CORES;

    /** The free buffers of each slot, guarded by the list itself; slots are created on first use. */
    private static final Map<Integer, ArrayDeque<float[]>> FREE = new ConcurrentHashMap<>();

    private Scratch() {
    }

    private static ArrayDeque<float[]> free(int slot) {
        return FREE.computeIfAbsent(slot, k -> new ArrayDeque<>(KEPT_PER_SLOT + 1));
    }

    /**
     * Takes a free array of {@code slot} with at least {@code size} floats, else a new one.
     *
     * @param slot the slot
     * @param size the floats needed
     * @return an array of at least {@code size} floats, with arbitrary contents
     */
    static float[] take(int slot, int size) {
        ArrayDeque<float[]> free = free(slot);
        synchronized (free) {
            for (Iterator<float[]> it = free.iterator(); it.hasNext(); ) {
                float[] buffer = it.next();
                if (buffer.length >= size) {
                    it.remove();
                    return buffer;
                }
            }
        }
        return new float[size];
    }

    /**
     * Puts an array taken from {@code slot} back for reuse, unless it is too large, or the slot
     * already keeps {@link #KEPT_PER_SLOT} larger ones.
     *
     * @param slot   the slot
     * @param buffer the array
     */
    static void give(int slot, float[] buffer) {
        if (buffer.length > MAX_KEPT) {
            return;
        }
        ArrayDeque<float[]> free = free(slot);
        synchronized (free) {
            free.push(buffer);
            if (free.size() > KEPT_PER_SLOT) {
                float[] smallest = buffer;
                for (float[] b : free) {
                    smallest = b.length < smallest.length ? b : smallest;
                }
                free.removeFirstOccurrence(smallest);
            }
        }
    }
}
