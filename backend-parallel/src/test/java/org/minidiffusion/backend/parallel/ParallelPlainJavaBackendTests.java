package org.minidiffusion.backend.parallel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.minidiffusion.core.api.Backend;
import org.minidiffusion.core.api.Parameter;
import org.minidiffusion.core.api.Rng;
import org.minidiffusion.core.api.StateBuffer;
import org.minidiffusion.testkit.BackendTestKit;

/**
 * Runs the shared backend test kit against the parallel backend on its plain-Java path. The build
 * runs this class in a JVM of its own, without {@code --add-modules jdk.incubator.vector}, as the
 * backend runs when the module is absent.
 */
class ParallelPlainJavaBackendTests extends BackendTestKit {
    @Override
    protected String backendId() {
        return "parallel";
    }

    /** The kit really ran on plain Java: the Vector API was neither found nor used. */
    @Test
    void runsOnPlainJava() {
        Backend b = backend();
        assertTrue(b.description().contains("plain-Java GEMM"), b.description());
        assertFalse(ModuleLayer.boot().findModule(Simd.MODULE).isPresent(),
                "the Vector API module is present");
        assertFalse(Simd.status().active());
        b.run(() -> {
            b.randn(new Rng(1), 20, 30).matmul(b.randn(new Rng(2), 30, 40)).sum().item();
            b.randn(new Rng(3), 1, 2, 6, 6).conv2d(b.randn(new Rng(4), 3, 2, 3, 3), 1, 1, 1).sum().item();
            Parameter p = new Parameter(b.randn(new Rng(5), 100));
            p.value().sum().backward();
            p.adamStep(StateBuffer.zeros(b, p.shape()), StateBuffer.zeros(b, p.shape()), 1e-3f, 0.9f, 0.999f, 0.1f,
                    0.001f, 1e-8f, 0f, 1f);
        });
        assertEquals(0, Simd.uses(), "the Vector API path ran");
    }
}
