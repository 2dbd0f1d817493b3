package org.minidiffusion.core.api;

/**
 * Controls whether operations are recorded for back-propagation.
 *
 * <pre>{@code
 * try (Autograd.Scope scope = Autograd.noGrad()) {
 *     Tensor prediction = model.forward(x); // no tape is kept
 * }
 * }</pre>
 */
public final class Autograd {
    /** How many no-grad scopes are open on each thread; recording is on at depth 0. */
    private static final ThreadLocal<int[]> NO_GRAD_DEPTH = ThreadLocal.withInitial(() -> new int[1]);

    private Autograd() {
    }

    /**
     * A scope opened by {@link #noGrad()}; closing it restores recording.
     */
    public interface Scope extends AutoCloseable {
        /** Ends the scope; it does not throw. */
        @Override
        void close();
    }

    /**
     * Opens a scope, on this thread, in which no operation is recorded; scopes nest.
     *
     * @return the scope to close
     */
    public static Scope noGrad() {
        NO_GRAD_DEPTH.get()[0]++;
        return new Scope() {
            private boolean closed;

            @Override
            public void close() {
                if (!closed) {
                    closed = true;
                    int[] depth = NO_GRAD_DEPTH.get();
                    if (depth[0] > 0) {
                        depth[0]--;
                    }
                }
            }
        };
    }

    /**
     * Returns whether operations on this thread are currently recorded.
     *
     * @return false inside a {@link #noGrad()} scope
     */
    public static boolean isEnabled() {
        return NO_GRAD_DEPTH.get()[0] == 0;
    }
}
