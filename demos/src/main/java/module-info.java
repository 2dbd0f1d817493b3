/**
 * Runnable demos of mini-diffusion: a tiny MLP trained with autograd, a matmul benchmark, and a
 * report of the discovered compute backends.
 *
 * <p>This module requires only the core; a backend module must also be on the module path:
 * <pre>{@code
 * java --module-path demos/target/lib:backend-parallel/target/backend-parallel.jar \
 *      -m org.minidiffusion.demos/org.minidiffusion.demos.Demos mlp
 * }</pre>
 */
module org.minidiffusion.demos {
    requires org.minidiffusion.core;
}
