package org.minidiffusion.backend.parallel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.minidiffusion.core.api.Backend;
import org.minidiffusion.core.api.Rng;
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
        });
        assertEquals(0, Simd.uses(), "the Vector API path ran");
    }
}
