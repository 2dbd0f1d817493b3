/**
 * The scalar compute backend of mini-diffusion.
 *
 * <p>It is the reference backend: single-threaded plain loops that read like the math, against which
 * every other backend is checked. It exports no packages; it is reached only through its provider.
 *
 * @provides org.minidiffusion.core.spi.BackendProvider
 */
module org.minidiffusion.backend.scalar {
    requires org.minidiffusion.core;

    provides org.minidiffusion.core.spi.BackendProvider
            with org.minidiffusion.backend.scalar.ScalarBackendProvider;
}
