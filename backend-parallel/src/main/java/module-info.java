/**
 * The parallel compute backend of mini-diffusion, for multi-core CPUs.
 *
 * <p>It runs the kernels on all cores through parallel streams, with a cache-blocked matrix multiply
 * that convolutions reuse through im2col. It exports no packages; it is reached only through its
 * provider.
 *
 * @provides org.minidiffusion.core.spi.BackendProvider
 */
module org.minidiffusion.backend.parallel {
    requires org.minidiffusion.core;

    provides org.minidiffusion.core.spi.BackendProvider
            with org.minidiffusion.backend.parallel.ParallelBackendProvider;
}
