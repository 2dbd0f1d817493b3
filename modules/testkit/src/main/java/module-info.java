/**
 * The shared backend test kit of mini-diffusion: one JUnit 5 suite that any backend runs against itself.
 *
 * <p>A backend's tests subclass {@link org.minidiffusion.testkit.BackendTestKit} and name the backend;
 * the kit then checks every tensor op, forward and backward, against the scalar reference backend
 * under one {@link org.minidiffusion.testkit.Tolerance}, checks every gradient with finite
 * differences, and checks known values, autograd semantics and shape errors.
 * {@link org.minidiffusion.testkit.GoldenCheck} compares the model modules' layers with golden
 * files computed by PyTorch.
 */
module org.minidiffusion.testkit {
    requires transitive org.minidiffusion.core;
    requires transitive org.junit.jupiter.api;
    requires transitive org.junit.jupiter.params;

    exports org.minidiffusion.testkit;
    // JUnit calls the kit's test methods reflectively, also when the kit runs on the module path.
    opens org.minidiffusion.testkit to org.junit.platform.commons;
}
