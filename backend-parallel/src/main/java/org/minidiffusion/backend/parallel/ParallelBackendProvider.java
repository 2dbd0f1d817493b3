package org.minidiffusion.backend.parallel;

import org.minidiffusion.core.spi.BackendProvider;
import org.minidiffusion.core.spi.Kernels;

/**
 * Provides the parallel backend, {@code "parallel"}.
 *
 * <p>Its priority is 100. When no backend is chosen explicitly the highest priority wins, so this
 * backend is preferred over the scalar reference backend (priority 10) whenever it is present.
 *
 * <p>Matrix products and convolutions run on the Vector API when the JVM was started with
 * {@code --add-modules jdk.incubator.vector} and the system property {@code minidiffusion.simd} is
 * not {@code false}; otherwise on a plain-Java GEMM. The {@link #description()} says which.
 */
public final class ParallelBackendProvider implements BackendProvider {

    /** Whether the Vector API may be used, if present. */
    private final boolean allowSimd;

    /** Creates the provider; this is cheap, as discovery requires. */
    public ParallelBackendProvider() {
        this(true);
    }

    /**
     * Creates the provider, with the Vector API path allowed or forced off.
     *
     * @param allowSimd whether to use the Vector API when it is present; {@code false} forces the
     *                  plain-Java path
     */
    ParallelBackendProvider(boolean allowSimd) {
        this.allowSimd = allowSimd;
    }

    /**
     * Returns {@code "parallel"}.
     *
     * @return the id
     */
    @Override
    public String id() {
        return "parallel";
    }

    /**
     * Returns a description naming the number of cores used and the GEMM path, such as
     * {@code "parallel streams over 2 cores, Vector API 512-bit GEMM"}. The first call detects the
     * Vector API.
     *
     * @return the description
     */
    @Override
    public String description() {
        return "parallel streams over " + Runtime.getRuntime().availableProcessors()
                + " cores, " + status().describe();
    }

    /**
     * Returns 100, above the scalar backend's 10; the highest priority wins.
     *
     * @return the priority
     */
    @Override
    public int priority() {
        return 100;
    }

    /**
     * Creates a new set of parallel kernels.
     *
     * @return the kernels
     */
    @Override
    public Kernels createKernels() {
        return new ParallelKernels(status().active());
    }

    /** Returns the Vector API status this provider's kernels use. */
    private Simd.Status status() {
        return allowSimd ? Simd.status() : Simd.DISABLED;
    }
}
