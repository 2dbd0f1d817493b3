package org.minidiffusion.core.internal;

/**
 * The array a tensor and all its views share, whether a workspace has taken it back, and whether
 * it may be written in place.
 *
 * <p>Once {@link BufferPool#recycle} has marked it, the array may hold another tensor's values,
 * so {@link DenseTensor} refuses to read it.
 *
 * <p>Tensors never change, with one exception: the storage of a parameter or a state buffer, made
 * by {@link #mutable}, which the optimiser kernels ({@link OptimizerOps}) overwrite. Such an array is
 * allocated for it alone, never by a workspace, so no other tensor shares it except views of the
 * same storage. Each write stamps it with the tape's clock ({@link #writtenAt}), so a backward pass
 * can tell that a value it recorded was overwritten since.
 */
final class Storage {
    private final float[] data;
    private final boolean mutable;
    private boolean recycled;
    /** The tape's clock at the last in-place write, 0 if never written since it was made. */
    private long writtenAt;

    Storage(float[] data) {
        this(data, false);
    }

    private Storage(float[] data, boolean mutable) {
        this.data = data;
        this.mutable = mutable;
    }

    /**
     * Returns a storage that in-place updates may write: {@code data} must be a new array that no
     * workspace handed out and nothing else holds.
     *
     * @param data the array
     * @return the storage
     */
    static Storage mutable(float[] data) {
        return new Storage(data, true);
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

    /** Returns whether in-place updates may write this storage. */
    boolean isMutable() {
        return mutable;
    }

    /** Records an in-place write at the tape's clock {@code tick}. */
    void markWritten(long tick) {
        writtenAt = tick;
    }

    /** Returns the tape's clock at the last in-place write, or 0. */
    long writtenAt() {
        return writtenAt;
    }
}
