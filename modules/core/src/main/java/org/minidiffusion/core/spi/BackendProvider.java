package org.minidiffusion.core.spi;

/**
 * A compute backend, as found by {@link java.util.ServiceLoader}.
 *
 * <p>Providers must be cheap to construct: discovery instantiates every provider on the module or
 * class path to read its {@link #id()} and {@link #priority()}. Expensive set-up belongs in
 * {@link #createKernels()}, which is called only for a backend that is actually used.
 */
public interface BackendProvider {

    /**
     * Returns the short, unique id users select the backend by, such as {@code "scalar"}.
     *
     * @return a non-empty id of lower-case letters, digits and dashes
     */
    String id();

    /**
     * Returns a one-line human description, shown in discovery reports.
     *
     * @return the description
     */
    String description();

    /**
     * Returns the rank used when no backend is chosen explicitly; the <em>highest</em> value wins.
     *
     * @return the priority
     */
    int priority();

    /**
     * Creates the kernels of this backend.
     *
     * @return the kernels, never {@code null}
     */
    Kernels createKernels();
}
