package org.minidiffusion.backend.parallel;

import org.minidiffusion.core.spi.BackendProvider;
import org.minidiffusion.core.spi.Kernels;

/**
 * Provides the parallel backend, {@code "parallel"}.
 *
 * <p>Its priority is 100. When no backend is chosen explicitly the highest priority wins, so this
 * backend is preferred over the scalar reference backend (priority 10) whenever it is present.
 */
public final class ParallelBackendProvider implements BackendProvider {

    /** Creates the provider; this is cheap, as discovery requires. */
    public ParallelBackendProvider() {
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
     * Returns a description naming the number of cores used.
     *
     * @return the description
     */
    @Override
    public String description() {
        return "parallel streams over " + Runtime.getRuntime().availableProcessors()
                + " cores, cache-blocked GEMM";
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
        return new ParallelKernels();
    }
}
