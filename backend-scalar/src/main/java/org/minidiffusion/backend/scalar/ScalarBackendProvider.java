package org.minidiffusion.backend.scalar;

import org.minidiffusion.core.spi.BackendProvider;
import org.minidiffusion.core.spi.Kernels;

/**
 * Provides the scalar reference backend, {@code "scalar"}.
 *
 * <p>Its priority is 10. When no backend is chosen explicitly the highest priority wins, so the
 * parallel backend (priority 100) is preferred whenever it is present, and this one is the fallback.
 */
public final class ScalarBackendProvider implements BackendProvider {

    /** Creates the provider; this is cheap, as discovery requires. */
    public ScalarBackendProvider() {
    }

    /**
     * Returns {@code "scalar"}.
     *
     * @return the id
     */
    @Override
    public String id() {
        return "scalar";
    }

    /**
     * Returns {@code "single-threaded reference loops"}.
     *
     * @return the description
     */
    @Override
    public String description() {
        return "single-threaded reference loops";
    }

    /**
     * Returns 10, below the parallel backend's 100; the highest priority wins.
     *
     * @return the priority
     */
    @Override
    public int priority() {
        return 10;
    }

    /**
     * Creates a new set of scalar kernels.
     *
     * @return the kernels
     */
    @Override
    public Kernels createKernels() {
        return new ScalarKernels();
    }
}
