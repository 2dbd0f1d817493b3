/**
 * The mini-diffusion API: tensors, layers, reverse-mode autograd and backend discovery.
 *
 * <p>The {@code api} package is what models and applications use. The {@code spi} package is what a
 * compute backend implements; backends are found with {@link java.util.ServiceLoader}.
 *
 * @uses org.minidiffusion.core.spi.BackendProvider
 */
module org.minidiffusion.core {
    exports org.minidiffusion.core.api;
    exports org.minidiffusion.core.spi;

    uses org.minidiffusion.core.spi.BackendProvider;
}
