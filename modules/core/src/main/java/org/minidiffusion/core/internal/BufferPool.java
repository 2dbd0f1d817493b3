package org.minidiffusion.core.internal;

import java.lang.ref.SoftReference;
import java.lang.ref.WeakReference;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.minidiffusion.core.api.Autograd;
import org.minidiffusion.core.api.Tensor;

/**
 * The buffer pool behind {@code Workspace}: storage arrays handed out on one thread, and the
 * arrays given back, kept by exact length for reuse.
 *
 * <p>Every storage array of the core comes from {@link #allocate} or {@link #allocateZeroed}.
 * While a pool is open on the current thread, autograd is not recording and no backward pass is
 * running, they take arrays from the innermost pool. Otherwise they take a spare array of the
 * length if this thread has one, else {@code new float[n]}: spares are arrays that the tape proved
 * dead and gave back ({@link #giveSpare}), the intermediate gradients of a backward pass and the
 * tensors of a block it ran through. Recording cannot use a pool: the tape keeps inputs and
 * outputs alive until backward. While a {@link Tracker} is open (a backward pass, a block that
 * records), the arrays not taken from a pool are tracked for the tape.
 *
 * <p>A pool opened inside another shares its free arrays and counters: its {@link #recycle} makes
 * arrays free for the outer one too, and closing it hands the arrays still in use to the outer
 * one, whose next recycle takes them back.
 *
 * <p><b>Memory.</b> The pool never keeps an array alive that the garbage collector would
 * otherwise free before running out of memory. Free arrays, and arrays handed out whose tensors
 * are all gone, are held through {@link SoftReference}s, which the JVM clears before it throws
 * {@link OutOfMemoryError}; the storage of a handed-out array is held weakly, so it lives exactly
 * as long as a tensor uses it. Without that, a pool would keep, for each length, as many arrays as
 * were ever in use at once, plus every temporary since the last recycle, and a loop that fits in a
 * small {@code -Xmx} without a pool would fail with one. A cleared array is simply allocated again.
 */
public final class BufferPool {
    /** The system property that makes every pool fill the arrays it takes back with NaN, and the tape its spares. */
    public static final String DEBUG_PROPERTY = "minidiffusion.workspace.debug";

    private static final boolean DEBUG_DEFAULT = Boolean.getBoolean(DEBUG_PROPERTY);

    /** Pools open on any thread: when 0, allocation skips the thread-local lookup. */
    private static final AtomicInteger OPEN = new AtomicInteger();

    private static final ThreadLocal<ThreadState> STATE = ThreadLocal.withInitial(ThreadState::new);

    /**
     * The pools open on one thread, innermost first, how many backward passes are running, the
     * innermost {@link Tracker}, and the spare arrays: arrays the tape proved dead, by length,
     * each with the number of the backward pass that gave it back.
     */
    private static final class ThreadState {
        final ArrayDeque<BufferPool> open = new ArrayDeque<>();
        int paused;
        Tracker tracker;
        final Map<Integer, ArrayDeque<Spare>> spares = new HashMap<>();
        int spareCount;
        int passes; // backward passes ended on this thread
        WeakReference<List<float[]>> handover; // the last pass's spares, for the next recorded node to hold

        /** Returns the pool allocations come from now, or null. */
        BufferPool active() {
            return open.isEmpty() || paused > 0 || Autograd.isEnabled() ? null : open.peek();
        }

        /** Returns the latest spare array of length {@code n} that the collector has not cleared, or null. */
        float[] spare(int n) {
            if (spareCount == 0) {
                return null;
            }
            ArrayDeque<Spare> q = spares.get(n);
            while (q != null && !q.isEmpty()) {
                spareCount--;
                float[] a = q.pop().array.get();
                if (a != null) {
                    return a;
                }
            }
            return null;
        }

        void addSpare(float[] a) {
            spares.computeIfAbsent(a.length, k -> new ArrayDeque<>()).push(new Spare(a, passes));
            spareCount++;
        }

        /** Ends a backward pass: drops the spares given back before the previous one and still unused. */
        void endPass() {
            passes++;
            if (spareCount > 0) {
                spares.values().forEach(q -> q.removeIf(sp -> passes - sp.pass > SPARE_PASSES || sp.array.get() == null));
                spares.values().removeIf(ArrayDeque::isEmpty);
                spareCount = spares.values().stream().mapToInt(ArrayDeque::size).sum();
            }
        }
    }

    /**
     * A spare array, held weakly, and the backward pass that gave it back. The tape also holds the
     * arrays a pass gives back, from the pass's root node and then from the first node recorded
     * after it ({@link Tape}), so that they outlive collections while training goes on, and a
     * collection after training frees them, as it frees everything else of the step.
     */
    private static final class Spare {
        final WeakReference<float[]> array;
        final int pass;

        Spare(float[] array, int pass) {
            this.array = new WeakReference<>(array);
            this.pass = pass;
        }
    }

    /**
     * How many backward passes a spare array is kept unused: the arrays a training step's
     * backward pass gives back serve the next step, and arrays still unused after that are dropped.
     */
    private static final int SPARE_PASSES = 2;

    /** What nested pools share with the outermost one: the free arrays, by length, and the counts. */
    private static final class Shared {
        final Map<Integer, ArrayDeque<SoftReference<float[]>>> free = new HashMap<>();
        long fresh;
        long reused;
    }

    private final Thread owner = Thread.currentThread();
    private final BufferPool parent; // the pool this one was opened in, or null
    private final Shared shared;
    private final boolean fillNaN;
    /** Arrays handed out since the last recycle, by identity hash code. */
    private final Map<Integer, List<Handed>> handedOut = new HashMap<>();

    /** An array handed out since the last recycle, and its tensors' storage once one wraps it. */
    private static final class Handed {
        /** Softly: once no tensor holds the array, the collector may take it under memory pressure. */
        final SoftReference<float[]> array;
        /** Weakly: the storage lives as long as a tensor uses it; null until a tensor wraps the array. */
        WeakReference<Storage> storage;

        Handed(float[] array) {
            this.array = new SoftReference<>(array);
        }

        Storage storage() {
            return storage == null ? null : storage.get();
        }
    }
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
        return OPEN.get() == 0 ? null : STATE.get().active();
    }

    /**
     * Runs a block while autograd records: the tape takes back the tensors it makes, except its
     * result, once a backward pass has run through it; see {@code Workspace.scoped}.
     *
     * @param block computes a tensor
     * @return the block's result
     */
    public static Tensor scopedWhileRecording(Supplier<Tensor> block) {
        return Tape.scoped(block);
    }

    /**
     * Returns an array of {@code n} floats with arbitrary contents, for an output its kernel
     * writes entirely.
     *
     * @param n the length
     * @return the array
     */
    public static float[] allocate(int n) {
        return allocate(n, false);
    }

    /**
     * Returns an array of {@code n} zeros, for an output written only in part or accumulated into.
     *
     * @param n the length
     * @return the array
     */
    public static float[] allocateZeroed(int n) {
        return allocate(n, true);
    }

    /**
     * Takes an array from the innermost pool if one is active; else a spare of the length, or a
     * new array; and tracks it if a {@link Tracker} is open.
     */
    private static float[] allocate(int n, boolean zeroed) {
        ThreadState s = STATE.get();
        BufferPool pool = OPEN.get() == 0 ? null : s.active();
        float[] a;
        if (pool != null) {
            a = pool.take(n);
        } else {
            a = n == 0 ? null : s.spare(n);
            if (a == null) {
                return track(s, new float[n]); // zeros already
            }
        }
        if (zeroed) {
            Arrays.fill(a, 0f);
        }
        return pool != null ? a : track(s, a);
    }

    private static float[] track(ThreadState s, float[] a) {
        if (s.tracker != null && a.length > 0) {
            s.tracker.add(a);
        }
        return a;
    }

    /**
     * Gives this thread an array that nothing can read or write any more, for a later allocation
     * of its length to reuse; with the system property {@value #DEBUG_PROPERTY}, filled with NaN
     * first. Spares are held weakly (see {@link Spare}), and for {@value #SPARE_PASSES} backward
     * passes at most ({@link #endPass}).
     *
     * @param array a dead array
     */
    static void giveSpare(float[] array) {
        if (array.length == 0) {
            return;
        }
        if (Boolean.getBoolean(DEBUG_PROPERTY)) {
            Arrays.fill(array, Float.NaN);
        }
        STATE.get().addSpare(array);
    }

    /**
     * Remembers, weakly, the arrays a backward pass gave back, for the next node recorded on this
     * thread to hold ({@link #takeHandover}).
     *
     * @param givenBack the arrays, which the pass's root node holds until then
     */
    static void handOver(List<float[]> givenBack) {
        STATE.get().handover = new WeakReference<>(givenBack);
    }

    /**
     * Returns, once, the arrays the last backward pass on this thread gave back, if nothing has
     * taken them since and the collector has not freed them; else null.
     *
     * @return the arrays, for a newly recorded node to hold
     */
    static List<float[]> takeHandover() {
        ThreadState s = STATE.get();
        if (s.handover == null) {
            return null;
        }
        List<float[]> given = s.handover.get();
        s.handover = null;
        return given;
    }

    /** Counts a backward pass ended on this thread, dropping the spares too old to be wanted. */
    static void endPass() {
        STATE.get().endPass();
    }

    /**
     * Opens a {@link Tracker} on this thread; it becomes the innermost one.
     *
     * @param block whether it is a block's tracker, which also collects the recorded nodes
     * @return the tracker
     */
    static Tracker track(boolean block) {
        ThreadState s = STATE.get();
        s.tracker = new Tracker(s.tracker, block);
        return s.tracker;
    }

    /** Closes the innermost tracker, {@code t}. */
    static void untrack(Tracker t) {
        ThreadState s = STATE.get();
        if (s.tracker != t) {
            throw new IllegalStateException("internal error: trackers closed out of order");
        }
        s.tracker = t.outer;
    }

    /** Returns the innermost tracker on this thread, or null. */
    static Tracker tracker() {
        return STATE.get().tracker;
    }

    /**
     * Returns the storage for a newly computed array: the one its workspace or its tracker
     * already gave it if either tracks it, so that every tensor on it shares one, else a new one.
     */
    static Storage storageOf(float[] data) {
        ThreadState s = STATE.get();
        BufferPool pool = OPEN.get() == 0 ? null : s.open.peek();
        Storage claimed = pool == null ? null : pool.claim(data);
        if (claimed != null) {
            return claimed;
        }
        return s.tracker != null && s.tracker.tracks(data) ? s.tracker.claim(data) : new Storage(data);
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
        float[] a = poll(shared.free.get(n));
        if (a == null) {
            a = new float[n];
            shared.fresh++;
        } else {
            shared.reused++;
        }
        handedOut.computeIfAbsent(System.identityHashCode(a), k -> new ArrayList<>(1)).add(new Handed(a));
        return a;
    }

    /** Returns the record of {@code data} if this pool handed it out since the last recycle, else null. */
    private Handed find(float[] data) {
        for (Handed h : handedOut.getOrDefault(System.identityHashCode(data), Collections.emptyList())) {
            if (h.array.get() == data) {
                return h;
            }
        }
        return null;
    }

    /** Returns the first free array of {@code q} that the garbage collector has not cleared, or null. */
    private static float[] poll(ArrayDeque<SoftReference<float[]>> q) {
        float[] a = null;
        while (a == null && q != null && !q.isEmpty()) {
            a = q.poll().get();
        }
        return a;
    }

    /** Returns the storage of {@code data} if this pool handed it out, shared by every wrap; else null. */
    private Storage claim(float[] data) {
        Handed h = find(data);
        if (h == null) {
            return null;
        }
        Storage s = h.storage();
        if (s == null) {
            s = new Storage(data);
            h.storage = new WeakReference<>(s);
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
        Set<float[]> kept = Collections.newSetFromMap(new IdentityHashMap<>());
        for (Tensor t : survivors) {
            Storage s = DenseTensor.storageOf(t, "Workspace.recycle");
            Handed h = find(s.array());
            if (h != null && h.storage() == s) {
                kept.add(s.array());
            }
        }
        List<Handed> all = new ArrayList<>();
        handedOut.values().forEach(all::addAll);
        handedOut.clear();
        for (Handed h : all) {
            float[] array = h.array.get();
            if (array == null) {
                continue; // collected: no tensor used it any more
            }
            if (kept.contains(array)) {
                handedOut.computeIfAbsent(System.identityHashCode(array), k -> new ArrayList<>(1)).add(h);
            } else {
                giveBack(array, h.storage());
            }
        }
    }

    private void giveBack(float[] array, Storage storage) {
        if (storage != null) {
            storage.markRecycled();
        }
        if (fillNaN) {
            Arrays.fill(array, Float.NaN);
        }
        shared.free.computeIfAbsent(array.length, k -> new ArrayDeque<>()).push(new SoftReference<>(array));
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
            handedOut.forEach((k, list) -> parent.handedOut.computeIfAbsent(k, x -> new ArrayList<>(1)).addAll(list));
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
     * Returns the floats held: handed out by this pool and free in the shared lists (those the
     * garbage collector has not cleared).
     *
     * @return the count
     */
    public long heldFloats() {
        long n = 0;
        for (List<Handed> list : handedOut.values()) {
            for (Handed h : list) {
                float[] a = h.array.get();
                n += a == null ? 0 : a.length;
            }
        }
        for (ArrayDeque<SoftReference<float[]>> q : shared.free.values()) {
            for (SoftReference<float[]> r : q) {
                float[] a = r.get();
                n += a == null ? 0 : a.length;
            }
        }
        return n;
    }
}
