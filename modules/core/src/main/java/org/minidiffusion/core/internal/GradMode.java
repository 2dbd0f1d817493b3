package org.minidiffusion.core.internal;

/** The per-thread switch behind {@code Autograd.noGrad()}. */
public final class GradMode {
    private static final ThreadLocal<int[]> NO_GRAD_DEPTH = ThreadLocal.withInitial(() -> new int[1]);

    private GradMode() {
    }

    /** Enters a no-grad scope. */
    public static void enterNoGrad() {
        NO_GRAD_DEPTH.get()[0]++;
    }

    /** Leaves a no-grad scope. */
    public static void exitNoGrad() {
        int[] depth = NO_GRAD_DEPTH.get();
        if (depth[0] > 0) {
            depth[0]--;
        }
    }

    /**
     * Returns whether operations are recorded on this thread.
     *
     * @return false inside a no-grad scope
     */
    public static boolean isEnabled() {
        return NO_GRAD_DEPTH.get()[0] == 0;
    }
}
