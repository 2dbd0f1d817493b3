package org.minidiffusion.core.internal;

/**
 * The array a tensor and all its views share, and whether a workspace has taken it back.
 *
 * <p>Once {@link BufferPool#recycle} has marked it, the array may hold another tensor's values,
 * so {@link DenseTensor} refuses to read it.
 */
final class Storage {
    private final float[] data;
    private boolean recycled;

    Storage(float[] data) {
        this.data = data;
    }

    /**
     * Returns the storage of a newly computed array: the one its workspace tracks if a workspace
     * on this thread handed it out, else an untracked one.
     *
     * @param data an array allocated for a new tensor
     * @return the storage
     */
    static Storage of(float[] data) {
        BufferPool pool = BufferPool.innermost();
        return pool == null ? new Storage(data) : pool.claim(data);
    }

    /** Returns the array without checking; for the pool and for messages. */
    float[] array() {
        return data;
    }

    boolean isRecycled() {
        return recycled;
    }

    void markRecycled() {
        recycled = true;
    }
}
