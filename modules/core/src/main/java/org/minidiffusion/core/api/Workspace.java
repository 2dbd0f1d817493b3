package org.minidiffusion.core.api;

import java.util.function.Supplier;
import org.minidiffusion.core.internal.BufferPool;

/**
 * A pool of tensor buffers for a no-grad loop, so that each iteration reuses the previous one's
 * activations instead of allocating new ones.
 *
 * <pre>{@code
 * try (Autograd.Scope noGrad = Autograd.noGrad(); Workspace ws = Workspace.open()) {
 *     for (int i = 0; i < steps; i++) {
 *         x = step(model, x);
 *         ws.recycle(x); // every other buffer of this step is free for the next one
 *     }
 * }
 * }</pre>
 *
 * <p>While a workspace is open on a thread and autograd is not recording there, every tensor the
 * core creates on that thread takes its buffer from the innermost open workspace: one given back
 * by {@link #recycle} if one of the same length is free, else a new one. Outside a backward pass
 * only; recording allocates normally, because the tape keeps its tensors until backward, and
 * a backward pass reuses the buffers it proves dead without a workspace (its intermediate
 * gradients, and the tensors made inside a {@link #scoped} block, see there).
 *
 * <p><b>Safety.</b> {@link #recycle} marks every tensor whose buffer it takes back. Reading such a
 * tensor, or taking a view of it, throws {@link IllegalStateException} naming the op, so stale
 * values are never read silently. Keep a tensor across a recycle by passing it as a survivor, or
 * copy its values out with {@link Tensor#toArray()}, which never returns a pooled array.
 * {@link #close()} marks nothing: tensors created in the workspace stay valid after it.
 *
 * <p><b>Nesting.</b> A workspace opened inside another shares its free buffers: what the inner one
 * recycles, the outer one can reuse, and when the inner one closes, the outer one takes over the
 * buffers still in use, so its next recycle takes them back. Layers use this through
 * {@link #scoped} (the {@code Block} base of {@code org.minidiffusion.nn} runs every block in
 * it), so that the temporaries of each block are reused by the next block instead of piling up
 * until the end of the step, without a line of buffer management in the model.
 *
 * <p><b>Debugging.</b> With the system property {@value #DEBUG_PROPERTY}{@code =true},
 * or with {@link #openDebug()}, recycled buffers are filled with NaN, so an op that relies on a
 * fresh buffer being zero shows NaN instead of a plausible wrong value.
 */
public final class Workspace implements AutoCloseable {
    /**
     * The system property that, set to {@code true}, makes workspaces fill the buffers they take
     * back with NaN, and backward passes the buffers they give back for reuse; read when a
     * workspace opens and whenever a backward pass gives a buffer back.
     */
    public static final String DEBUG_PROPERTY = BufferPool.DEBUG_PROPERTY;

    private final BufferPool pool;

    private Workspace(BufferPool pool) {
        this.pool = pool;
    }

    /**
     * Opens a workspace on the current thread; it stays the innermost one until closed.
     *
     * @return the workspace
     * @throws IllegalStateException if autograd is recording on this thread
     */
    public static Workspace open() {
        return open(null);
    }

    /**
     * Opens a workspace that fills every buffer it takes back with NaN, whatever the system property.
     *
     * @return the workspace
     * @throws IllegalStateException if autograd is recording on this thread
     */
    public static Workspace openDebug() {
        return open(Boolean.TRUE);
    }

    private static Workspace open(Boolean fillNaN) {
        if (Autograd.isEnabled()) {
            throw new IllegalStateException("Workspace.open: autograd is recording on this thread, and a recorded "
                    + "tape must keep its tensors; open the workspace inside Autograd.noGrad()");
        }
        return new Workspace(BufferPool.open(fillNaN));
    }

    /**
     * Returns whether tensors created on this thread now take their buffers from a workspace.
     *
     * @return whether a workspace is open here, autograd is not recording and no backward pass runs
     */
    public static boolean isPooling() {
        return BufferPool.isPooling();
    }

    /**
     * Runs {@code block} in a nested workspace that, when it returns, takes back every buffer the
     * block allocated except its result's. While autograd records, the tape keeps the block's
     * tensors for the backward pass instead, and takes their buffers back once a backward pass has
     * run through the block's result (a second backward pass through it then throws, as the first
     * one reused what the block's backward reads). Otherwise, without a pooling workspace on this
     * thread, it just runs the block. Either way, the block must not keep any other tensor it
     * creates, for example in a field: reading one after its buffer is taken back throws.
     *
     * @param block computes a tensor, typically a layer's forward pass
     * @return the block's result, owned by the enclosing workspace
     */
    public static Tensor scoped(Supplier<Tensor> block) {
        if (!BufferPool.isPooling()) {
            return Autograd.isEnabled() ? BufferPool.scopedWhileRecording(block) : block.get();
        }
        try (Workspace inner = open(null)) {
            Tensor result = block.get();
            inner.recycle(result);
            return result;
        }
    }

    /**
     * Takes back every buffer this workspace handed out since it opened or last recycled, except
     * the storage of {@code survivors} and of their views. Tensors that used a taken-back buffer
     * can no longer be read. Survivors stay owned by the workspace: the next recycle takes their
     * buffers back unless they survive again.
     *
     * @param survivors tensors still needed; tensors created outside the workspace need not be listed
     * @throws IllegalStateException if the workspace is closed, belongs to another thread, or a
     *                               survivor was itself recycled before
     */
    public void recycle(Tensor... survivors) {
        pool.recycle(survivors);
    }

    /**
     * Returns how many buffers were allocated because none of the length was free, by this
     * workspace and all those nested in the same outermost one.
     *
     * @return the count since the outermost one opened
     */
    public long freshAllocations() {
        return pool.fresh();
    }

    /**
     * Returns how many buffers were handed out again after a recycle, by this workspace and all
     * those nested in the same outermost one.
     *
     * @return the count since the outermost one opened
     */
    public long reusedAllocations() {
        return pool.reused();
    }

    /**
     * Returns the bytes of the buffers this workspace handed out and of the free ones it shares.
     *
     * @return the bytes
     */
    public long heldBytes() {
        return 4 * pool.heldFloats();
    }

    /**
     * Stops pooling in this workspace: a nested one hands its buffers in use to the enclosing one;
     * the outermost drops its free buffers, and tensors still holding a buffer keep it and stay
     * valid. Closing twice does nothing.
     *
     * @throws IllegalStateException if called from another thread than the one that opened it
     */
    @Override
    public void close() {
        if (!pool.isClosed()) {
            pool.checkUsable("close");
            pool.close();
        }
    }
}
