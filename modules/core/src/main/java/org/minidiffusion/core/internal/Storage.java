package org.minidiffusion.core.internal;

/**
 * The array a tensor and all its views share, whether its buffer has been taken back, and whether
 * it may be written in place.
 *
 * <p>Once {@link BufferPool#recycle} or the tape (after a backward pass through the block that
 * made it, see {@link Tape#scoped}) has marked it, the array may hold another tensor's values,
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
    private boolean afterBackward;
    private boolean gradient;

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
     * Returns the storage of a newly computed array: the one its workspace or the tape already
     * tracks for it if either handed it out on this thread, else an untracked one.
     *
     * @param data an array allocated for a new tensor
     * @return the storage
     */
    static Storage of(float[] data) {
        return BufferPool.storageOf(data);
    }

    /** Returns the array without checking; for the pool and for messages. */
    float[] array() {
        return data;
    }

    boolean isRecycled() {
        return recycled;
    }

    /** Returns whether the tape, not a workspace, took the buffer back. */
    boolean isRecycledAfterBackward() {
        return afterBackward;
    }

    /** Returns whether the buffer was an intermediate gradient of a backward pass. */
    boolean isRecycledGradient() {
        return gradient;
    }

    /** Marks the buffer taken back by {@code Workspace.recycle}. */
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

    /**
     * Marks the buffer taken back by the tape.
     *
     * @param intermediateGradient true for a gradient or temporary of a backward pass, false for a
     *                             tensor a block made
     */
    void markRecycledAfterBackward(boolean intermediateGradient) {
        recycled = true;
        afterBackward = true;
        gradient = intermediateGradient;
    }
}
