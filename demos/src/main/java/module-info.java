/**
 * Runnable demos of mini-diffusion: training a class-conditional diffusion model on Fashion-MNIST
 * and generating images with it, a classifier that measures how recognisable they are, a tiny MLP
 * trained with autograd, a matmul benchmark, and a report of the discovered compute backends.
 *
 * <p>A backend module must also be on the module path:
 * <pre>{@code
 * java --module-path demos/target/lib:backend-parallel/target/backend-parallel.jar \
 *      -m org.minidiffusion.demos/org.minidiffusion.demos.Demos train
 * }</pre>
 */
module org.minidiffusion.demos {
    requires org.minidiffusion.core;
    requires org.minidiffusion.nn;
    requires org.minidiffusion.io;
    requires org.minidiffusion.diffusion;
    requires org.minidiffusion.text;
    requires org.minidiffusion.dit;
    requires org.minidiffusion.transformer;
    requires org.minidiffusion.vae;
    requires org.minidiffusion.sd3;
    requires info.picocli;
    requires java.management;
    requires jdk.management;
}
