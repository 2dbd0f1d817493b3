package org.minidiffusion.core.internal;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * The arrays {@link BufferPool#allocate} hands out on one thread while a tracker is open there,
 * and the one storage that all tensors on each of them share; for the buffers the tape may give
 * back before the garbage collector would find them dead.
 *
 * <p>Two kinds are opened, innermost first: a backward pass's tracker ({@link Tape#backward}),
 * whose arrays are gradients and their temporaries, and a block's tracker while autograd records
 * ({@link Tape#scoped}), whose arrays are the block's activations. A tracker opened inside another
 * one takes the allocations while it is open; the outer one sees only what the inner one hands it
 * when it closes.
 */
final class Tracker {
    /** The tracker that was innermost on this thread when this one opened, or null. */
    final Tracker outer;
    /** Whether this is a block's tracker, which also collects the nodes recorded inside it. */
    final boolean block;
    /** Every array tracked and not yet handed on, with the storage that wraps it (null until one does). */
    private final Map<float[], Storage> storages = new IdentityHashMap<>();
    /** The arrays allocated since their owner last cleared the list, in order. */
    final List<float[]> fresh = new ArrayList<>();
    /** The nodes recorded while a block's tracker was innermost, and those its inner blocks handed on. */
    final List<Tape.Node> nodes;

    Tracker(Tracker outer, boolean block) {
        this.outer = outer;
        this.block = block;
        this.nodes = block ? new ArrayList<>() : null;
    }

    /** Starts tracking an array just allocated. */
    void add(float[] array) {
        storages.put(array, null);
        fresh.add(array);
    }

    /** Tracks an array handed on by an inner tracker, with its storage. */
    void adopt(float[] array, Storage storage) {
        storages.put(array, storage);
    }

    /** Returns whether the array is tracked here. */
    boolean tracks(float[] array) {
        return storages.containsKey(array);
    }

    /**
     * Returns the storage of a tracked array, creating it on the first wrap, so that every tensor
     * on the array shares one storage and a recycle marks them all.
     */
    Storage claim(float[] array) {
        Storage s = storages.get(array);
        if (s == null) {
            s = new Storage(array);
            storages.put(array, s);
        }
        return s;
    }

    /**
     * Stops tracking an array and returns its storage, or null if no tensor wrapped it.
     *
     * @param array a tracked array
     * @return its storage
     */
    Storage remove(float[] array) {
        return storages.remove(array);
    }

    /** Returns every tracked array with its storage (a live view). */
    Map<float[], Storage> all() {
        return storages;
    }
}
