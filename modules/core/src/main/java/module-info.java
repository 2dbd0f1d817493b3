/**
 * The mini-diffusion API: tensors, layers, reverse-mode autograd and backend discovery.
 *
 * <p>The {@code api} package is what models and applications use. The {@code spi} package is what a
 * compute backend implements; backends are found with {@link java.util.ServiceLoader}.
 *
 * <p>{@code Backend} makes tensors through {@code TensorFactory}, which this module provides to itself,
 * so that the API does not depend on the tensor implementation in {@code internal}.
 *
 * @uses org.minidiffusion.core.spi.BackendProvider
 * @uses org.minidiffusion.core.api.TensorFactory
 * @provides org.minidiffusion.core.api.TensorFactory
 */
module org.minidiffusion.core {
    exports org.minidiffusion.core.api;
    exports org.minidiffusion.core.spi;

    uses org.minidiffusion.core.spi.BackendProvider;
    uses org.minidiffusion.core.api.TensorFactory;

    provides org.minidiffusion.core.api.TensorFactory with org.minidiffusion.core.internal.DenseTensorFactory;
}
