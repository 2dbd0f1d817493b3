/**
 * The parallel compute backend of mini-diffusion, for multi-core CPUs.
 *
 * <p>It runs the kernels on all cores through parallel streams, with a matrix multiply that
 * convolutions reuse through im2col or, for 3x3 stride-1 ones, Winograd's minimal filtering. The
 * multiply is register-blocked on the Vector API when the JVM is started with
 * {@code --add-modules jdk.incubator.vector}; the module is optional ({@code requires static}), and
 * without it a cache-blocked plain-Java multiply is used. It exports no packages; it is reached
 * only through its provider.
 *
 * @provides org.minidiffusion.core.spi.BackendProvider
 */
module org.minidiffusion.backend.parallel {
    requires org.minidiffusion.core;
    requires static jdk.incubator.vector;

    provides org.minidiffusion.core.spi.BackendProvider
            with org.minidiffusion.backend.parallel.ParallelBackendProvider;
}
