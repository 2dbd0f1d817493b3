/**
 * Neural-network layers and optimisers built on the core {@code Tensor} and {@code Layer} API, and the
 * reader of the {@code config.json} files that model modules are built from.
 *
 * <p>Every layer works unchanged on any backend; parallelism lives in the backends.
 */
module org.minidiffusion.nn {
    requires transitive org.minidiffusion.core;

    exports org.minidiffusion.nn;
    exports org.minidiffusion.nn.config;
    exports org.minidiffusion.nn.optim;
}
