package org.minidiffusion.core.internal;

import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.minidiffusion.core.api.Tensor;

/**
 * The buffer pool behind {@code Workspace}: storage arrays handed out on one thread, and the
 * arrays given back, kept by exact length for reuse.
 *
 * <p>Every storage array of the core comes from {@link #allocate} or {@link #allocateZeroed}.
 * While a pool is open on the current thread, autograd is not recording and no backward pass is
 * running, they take arrays from the innermost pool; otherwise they return {@code new float[n]}.
 * Recording must allocate normally: the tape keeps inputs and outputs alive until backward.
 *
 * <p>A pool opened inside another shares its free arrays and counters: its {@link #recycle} makes
 * arrays free for the outer one too, and closing it hands the arrays still in use to the outer
 * one, whose next recycle takes them back.
 */
public final class BufferPool {
    /** The system property that makes every pool fill the arrays it takes back with NaN. */
    public static final String DEBUG_PROPERTY = "minidiffusion.workspace.debug";

    private static final boolean DEBUG_DEFAULT = Boolean.getBoolean(DEBUG_PROPERTY);

    /** Pools open on any thread: when 0, allocation skips the thread-local lookup. */
    private static final AtomicInteger OPEN = new AtomicInteger();

    private static final ThreadLocal<ThreadState> STATE = ThreadLocal.withInitial(ThreadState::new);

    /** The pools open on one thread, innermost first, and how many backward passes are running. */
    private static final class ThreadState {
        final ArrayDeque<BufferPool> open = new ArrayDeque<>();
        int paused;
    }

    /** What nested pools share with the outermost one: the free arrays, by length, and the counts. */
    private static final class Shared {
        final Map<Integer, ArrayDeque<float[]>> free = new HashMap<>();
        long fresh;
        long reused;
    }

    private final Thread owner = Thread.currentThread();
    private final BufferPool parent; // the pool this one was opened in, or null
    private final Shared shared;
    private final boolean fillNaN;
    /** Arrays handed out since the last recycle, each with its tensors' storage once one wraps it. */
    private final Map<float[], Storage> handedOut = new IdentityHashMap<>();
    private boolean closed;

    private BufferPool(BufferPool parent, boolean fillNaN) {
        this.parent = parent;
        this.shared = parent == null ? new Shared() : parent.shared;
        this.fillNaN = fillNaN;
    }

    /**
     * Opens a pool on the current thread; it becomes the innermost one.
     *
     * @param fillNaN whether to fill arrays with NaN when they are taken back; null for the
     *                default, the system property {@value #DEBUG_PROPERTY}
     * @return the pool
     */
    public static BufferPool open(Boolean fillNaN) {
        ArrayDeque<BufferPool> open = STATE.get().open;
        BufferPool parent = open.peek();
        BufferPool pool = new BufferPool(parent, fillNaN != null ? fillNaN : parent != null ? parent.fillNaN : DEBUG_DEFAULT);
        open.push(pool);
        OPEN.incrementAndGet();
        return pool;
    }

    /** Returns the innermost pool open on this thread, whatever the grad mode, or null. */
    static BufferPool innermost() {
        return OPEN.get() == 0 ? null : STATE.get().open.peek();
    }

    /**
     * Returns whether allocations on this thread come from a pool now.
     *
     * @return whether a pool is open, autograd is not recording and no backward pass is running
     */
    public static boolean isPooling() {
        return active() != null;
    }

    /** Returns the pool allocations come from now, or null to allocate normally. */
    private static BufferPool active() {
        if (OPEN.get() == 0) {
            return null;
        }
        ThreadState s = STATE.get();
        return s.open.isEmpty() || s.paused > 0 || GradMode.isEnabled() ? null : s.open.peek();
    }

    /**
     * Returns an array of {@code n} floats with arbitrary contents, for an output its kernel
     * writes entirely.
     *
     * @param n the length
     * @return the array
     */
    public static float[] allocate(int n) {
        BufferPool pool = active();
        return pool == null ? new float[n] : pool.take(n);
    }

    /**
     * Returns an array of {@code n} zeros, for an output written only in part or accumulated into.
     *
     * @param n the length
     * @return the array
     */
    public static float[] allocateZeroed(int n) {
        BufferPool pool = active();
        if (pool == null) {
            return new float[n];
        }
        float[] a = pool.take(n);
        Arrays.fill(a, 0f);
        return a;
    }

    /**
     * Stops pooling on this thread until {@link #resume()}: a backward pass keeps its gradients.
     */
    static void pause() {
        STATE.get().paused++;
    }

    /** Ends a {@link #pause()}. */
    static void resume() {
        STATE.get().paused--;
    }

    private float[] take(int n) {
        if (n == 0) {
            return new float[0];
        }
        ArrayDeque<float[]> q = shared.free.get(n);
        float[] a = q == null ? null : q.poll();
        if (a == null) {
            a = new float[n];
            shared.fresh++;
        } else {
            shared.reused++;
        }
        handedOut.put(a, null);
        return a;
    }

    /** Returns the storage of {@code data}: tracked if this pool handed it out, shared by every wrap. */
    Storage claim(float[] data) {
        if (!handedOut.containsKey(data)) {
            return new Storage(data);
        }
        Storage s = handedOut.get(data);
        if (s == null) {
            s = new Storage(data);
            handedOut.put(data, s);
        }
        return s;
    }

    /**
     * Takes back every array handed out since the last recycle, except the storage of the survivors.
     *
     * @param survivors the tensors to keep; their storage stays tracked, so a later recycle takes
     *                  it back unless they survive again
     */
    public void recycle(Tensor... survivors) {
        checkUsable("recycle");
        Map<float[], Storage> kept = new IdentityHashMap<>();
        for (Tensor t : survivors) {
            Storage s = DenseTensor.storageOf(t, "Workspace.recycle");
            if (handedOut.get(s.array()) == s) {
                kept.put(s.array(), s);
            }
        }
        handedOut.forEach((array, storage) -> {
            if (!kept.containsKey(array)) {
                giveBack(array, storage);
            }
        });
        handedOut.clear();
        handedOut.putAll(kept);
    }

    private void giveBack(float[] array, Storage storage) {
        if (storage != null) {
            storage.markRecycled();
        }
        if (fillNaN) {
            Arrays.fill(array, Float.NaN);
        }
        shared.free.computeIfAbsent(array.length, k -> new ArrayDeque<>()).push(array);
    }

    /**
     * Stops pooling in this pool. A nested pool hands its arrays in use to the outer one; the
     * outermost drops all its arrays, and tensors that hold one keep it.
     */
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        STATE.get().open.remove(this);
        OPEN.decrementAndGet();
        if (parent != null && !parent.closed) {
            parent.handedOut.putAll(handedOut);
        } else if (parent == null) {
            shared.free.clear();
        }
        handedOut.clear();
    }

    /**
     * Checks that the pool is used on the thread that opened it and is still open.
     *
     * @param op the operation, for the message
     */
    public void checkUsable(String op) {
        if (Thread.currentThread() != owner) {
            throw new IllegalStateException("Workspace." + op + ": a workspace belongs to the thread that opened it ("
                    + owner.getName() + "), not " + Thread.currentThread().getName());
        }
        if (closed) {
            throw new IllegalStateException("Workspace." + op + ": the workspace is closed");
        }
    }

    /**
     * Returns whether the pool is closed.
     *
     * @return whether {@link #close()} ran
     */
    public boolean isClosed() {
        return closed;
    }

    /**
     * Returns how many arrays the pool and those nested in its outermost one allocated.
     *
     * @return the count
     */
    public long fresh() {
        return shared.fresh;
    }

    /**
     * Returns how many arrays the pool and those nested in its outermost one handed out again.
     *
     * @return the count
     */
    public long reused() {
        return shared.reused;
    }

    /**
     * Returns the floats held: handed out by this pool and free in the shared lists.
     *
     * @return the count
     */
    public long heldFloats() {
        long n = 0;
        for (float[] a : handedOut.keySet()) {
            n += a.length;
        }
        for (ArrayDeque<float[]> q : shared.free.values()) {
            for (float[] a : q) {
                n += a.length;
            }
        }
        return n;
    }
}
