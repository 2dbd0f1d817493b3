package org.minidiffusion.backend.parallel;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.minidiffusion.core.api.Backend;
import org.minidiffusion.core.api.Parameter;
import org.minidiffusion.core.api.Rng;
import org.minidiffusion.core.api.StateBuffer;
import org.minidiffusion.testkit.BackendTestKit;

/**
 * Runs the shared backend test kit against the parallel backend on its Vector API path, compared
 * with the scalar reference; the build starts this run with {@code --add-modules jdk.incubator.vector}.
 */
class ParallelBackendTests extends BackendTestKit {
    @Override
    protected String backendId() {
        return "parallel";
    }

    /** The kit really ran on the Vector API: a silent fallback to plain Java must fail the build. */
    @Test
    void runsOnTheVectorApi() {
        Backend b = backend();
        assertTrue(b.description().contains("Vector API"), b.description());
        long before = Simd.uses();
        b.run(() -> {
            b.randn(new Rng(1), 20, 30).matmul(b.randn(new Rng(2), 30, 40)).sum().item();
            b.randn(new Rng(3), 1, 2, 6, 6).conv2d(b.randn(new Rng(4), 3, 2, 3, 3), 1, 1, 1).sum().item();
        });
        assertTrue(Simd.uses() >= before + 2, "matmul and conv2d did not run on the Vector API path");
        long beforeAdam = Simd.uses();
        Parameter p = new Parameter(b.randn(new Rng(5), 100));
        b.run(() -> p.value().sum().backward());
        p.adamStep(StateBuffer.zeros(b, p.shape()), StateBuffer.zeros(b, p.shape()), 1e-3f, 0.9f, 0.999f, 0.1f, 0.001f,
                1e-8f, 0f, 1f);
        assertTrue(Simd.uses() > beforeAdam, "adamStep did not run on the Vector API path");
    }
}
