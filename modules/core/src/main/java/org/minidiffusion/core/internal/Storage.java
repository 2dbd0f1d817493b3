package org.minidiffusion.core.internal;

/**
 * The array a tensor and all its views share, and whether its buffer has been taken back.
 *
 * <p>Once {@link BufferPool#recycle} or the tape (after a backward pass through the block that
 * made it, see {@link Tape#scoped}) has marked it, the array may hold another tensor's values,
 * so {@link DenseTensor} refuses to read it.
 */
final class Storage {
    private final float[] data;
    private boolean recycled;
    private boolean afterBackward;
    private boolean gradient;

    Storage(float[] data) {
        this.data = data;
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
