package org.minidiffusion.diffusion;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.minidiffusion.core.api.Autograd;
import org.minidiffusion.core.api.Backend;
import org.minidiffusion.core.api.Backends;
import org.minidiffusion.core.api.Rng;
import org.minidiffusion.core.api.Tensor;
import org.minidiffusion.core.api.Workspace;
import org.minidiffusion.diffusion.unet.UNet;
import org.minidiffusion.diffusion.unet.UNetConfig;

/** The sampling loop's workspace: the same samples as without one, and no new buffers after the first steps. */
class SamplingWorkspaceTests {
    /** A class-conditional U-Net with attention, small enough for a test. */
    private static final UNetConfig CONFIG = new UNetConfig(8, 1, 1, 8, new int[] {1, 2}, 1, Set.of(4), 4, 2, 3, 0f);
    private static final NoiseSchedule SCHEDULE = NoiseSchedule.of(BetaSchedule.COSINE, 1000);
    private static final int STEPS = 6;

    private static List<Sampler> samplers() {
        return List.of(new DdimSampler(SCHEDULE, PredictionType.EPSILON, true, 0),
                new DdpmSampler(SCHEDULE, PredictionType.V_PREDICTION, false));
    }

    /** Guided, so that the loop's concat and narrow run too. */
    private static SampleRequest request() {
        return SampleRequest.of(STEPS, 3, 1, 8, 8).withClassLabels(0, 2, 1).withGuidance(2f, 3);
    }

    @ParameterizedTest
    @ValueSource(strings = {"scalar", "parallel"})
    void samplesAreBitIdenticalWithAndWithoutTheWorkspace(String backendId) {
        Backend backend = Backends.get(backendId);
        backend.run(() -> {
            UNet net = new UNet(CONFIG, new Rng(3));
            net.train(false);
            Tensor xT = Tensor.randn(new Rng(4), 3, 1, 8, 8);
            for (Sampler sampler : samplers()) {
                float[] pooled = sampler.sample(net, request(), xT, NoiseSource.of(new Rng(5))).toArray();
                float[] plain;
                try (Autograd.Scope noGrad = Autograd.noGrad()) {
                    plain = SamplingLoop.loop(sampler, net, request(), xT, NoiseSource.of(new Rng(5)), null).toArray();
                }
                assertArrayEquals(plain, pooled, "[" + backendId + "] " + sampler.getClass().getSimpleName()
                        + ": the workspace changed the samples");
            }
        });
    }

    @ParameterizedTest
    @ValueSource(strings = {"scalar", "parallel"})
    void afterTheSecondStepNoBufferIsAllocated(String backendId) {
        Backend backend = Backends.get(backendId);
        backend.run(() -> {
            UNet net = new UNet(CONFIG, new Rng(3));
            net.train(false);
            for (Sampler sampler : samplers()) {
                List<Long> fresh = new ArrayList<>();
                try (Autograd.Scope noGrad = Autograd.noGrad(); Workspace ws = Workspace.open()) {
                    SampleRequest request = request().withListener((i, n, t, tPrev, x) -> fresh.add(ws.freshAllocations()));
                    SamplingLoop.loop(sampler, net, request, Tensor.randn(new Rng(4), 3, 1, 8, 8),
                            NoiseSource.of(new Rng(5)), ws);
                    assertTrue(ws.reusedAllocations() > (STEPS - 2) * fresh.get(0), "reused only "
                            + ws.reusedAllocations() + " buffers");
                }
                String what = "[" + backendId + "] " + sampler.getClass().getSimpleName() + " fresh buffers after each step "
                        + fresh;
                assertTrue(fresh.get(0) > 50, what);
                // step 2 needs one more buffer: the sample of step 1 is still alive while it runs
                assertTrue(fresh.get(1) - fresh.get(0) <= 1, what);
                assertEquals(fresh.get(1), fresh.get(STEPS - 1), what);
            }
        });
    }

    @ParameterizedTest
    @ValueSource(strings = {"scalar"})
    void aListenerThatKeepsASampleGetsAClearErrorAndTheResultStaysValid(String backendId) {
        Backends.get(backendId).run(() -> {
            UNet net = new UNet(CONFIG, new Rng(3));
            net.train(false);
            List<Tensor> kept = new ArrayList<>();
            List<float[]> copies = new ArrayList<>();
            SampleRequest request = request().withListener((i, n, t, tPrev, x) -> {
                kept.add(x);
                copies.add(x.toArray());
            });
            Tensor x0 = samplers().get(0).sample(net, request, new Rng(6));
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> kept.get(0).toArray());
            assertTrue(e.getMessage().contains("recycled"), e.getMessage());
            assertArrayEquals(copies.get(STEPS - 1), x0.toArray(), "the returned sample must stay valid");
            assertArrayEquals(copies.get(STEPS - 1), kept.get(STEPS - 1).toArray());
        });
    }
}
