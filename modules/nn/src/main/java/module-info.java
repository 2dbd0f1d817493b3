/**
 * Neural-network layers and optimisers built on the core {@code Tensor} and {@code Layer} API.
 *
 * <p>Every layer works unchanged on any backend; parallelism lives in the backends.
 */
module org.minidiffusion.nn {
    requires transitive org.minidiffusion.core;

    exports org.minidiffusion.nn;
    exports org.minidiffusion.nn.optim;
}
