package org.minidiffusion.core.api;

import org.minidiffusion.core.internal.GradMode;

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
        GradMode.enterNoGrad();
        return new Scope() {
            private boolean closed;

            @Override
            public void close() {
                if (!closed) {
                    closed = true;
                    GradMode.exitNoGrad();
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
        return GradMode.isEnabled();
    }
}
