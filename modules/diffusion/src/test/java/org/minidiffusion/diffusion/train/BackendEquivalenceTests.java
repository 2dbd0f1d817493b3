package org.minidiffusion.diffusion.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.minidiffusion.core.api.Backend;
import org.minidiffusion.core.api.Backends;
import org.minidiffusion.core.api.Rng;
import org.minidiffusion.core.api.Tensor;
import org.minidiffusion.diffusion.DdimSampler;
import org.minidiffusion.diffusion.NoiseSchedule;
import org.minidiffusion.diffusion.PredictionType;
import org.minidiffusion.diffusion.SampleRequest;
import org.minidiffusion.diffusion.unet.UNet;
import org.minidiffusion.nn.optim.Adam;
import org.minidiffusion.testkit.TensorAssert;
import org.minidiffusion.testkit.Tolerance;

/**
 * The parallel backend against the scalar reference on whole-model workloads: the U-Net forward
 * pass, one training step (the loss and every parameter's gradient), one Adam update, and a 5-step
 * DDIM trajectory. Op-level agreement is the test kit's job; this catches what only shows when
 * thousands of ops are chained.
 */
class BackendEquivalenceTests {
    private static final Backend SCALAR = Backends.get("scalar");
    private static final Backend PARALLEL = Backends.get("parallel");
    private static final int[] T = {3, 57};
    private static final int[] LABELS = {0, 3};

    private static Tensor input(Backend b) {
        return b.randn(new Rng(99), 2, 1, 8, 8);
    }

    private static void assertSameTensors(String what, Map<String, Tensor> expected, Map<String, Tensor> actual) {
        assertEquals(expected.keySet(), actual.keySet(), what + ": names differ");
        expected.forEach((k, v) -> TensorAssert.assertClose(Tolerance.DEFAULT, PARALLEL.id(), what + " " + k, v, actual.get(k)));
    }

    @Test
    void uNetForwardMatches() {
        Tensor expected = SCALAR.call(() -> TinySetup.unet(7).forward(input(SCALAR), T, LABELS));
        Tensor actual = PARALLEL.call(() -> TinySetup.unet(7).forward(input(PARALLEL), T, LABELS));
        TensorAssert.assertClose(Tolerance.DEFAULT, PARALLEL.id(), "UNet.forward", expected, actual);
    }

    private static Map<String, Tensor> lossAndGrads(Backend b) {
        return b.call(() -> {
            UNet net = TinySetup.unet(7);
            Tensor target = b.randn(new Rng(5), 2, 1, 8, 8);
            Tensor diff = net.forward(input(b), T, LABELS).sub(target);
            Tensor loss = diff.mul(diff).mean();
            loss.backward();
            Map<String, Tensor> out = new LinkedHashMap<>();
            out.put("loss", loss.detach());
            net.parameters().forEach((name, p) -> out.put(name, p.grad()));
            return out;
        });
    }

    @Test
    void aTrainingStepGivesTheSameLossAndGradients() {
        assertSameTensors("training step", lossAndGrads(SCALAR), lossAndGrads(PARALLEL));
    }

    private static Map<String, Tensor> afterAdam(Backend b) {
        return b.call(() -> {
            UNet net = TinySetup.unet(7);
            Tensor out = net.forward(input(b), T, LABELS);
            out.mul(out).mean().backward();
            Adam adam = Adam.adamW(net.parameters(), 1e-3f, 0.01f);
            adam.step();
            Map<String, Tensor> state = new LinkedHashMap<>(net.stateDict());
            adam.state().forEach((k, v) -> state.put("adam." + k, v));
            return state;
        });
    }

    @Test
    void anAdamUpdateGivesTheSameWeightsAndMoments() {
        assertSameTensors("Adam update", afterAdam(SCALAR), afterAdam(PARALLEL));
    }

    private static Tensor ddimTrajectory(Backend b) {
        return b.call(() -> {
            UNet net = TinySetup.unet(7);
            NoiseSchedule schedule = NoiseSchedule.of(TinySetup.config(10).betaSchedule(), 100);
            DdimSampler sampler = new DdimSampler(schedule, PredictionType.EPSILON, true, 0.5f);
            SampleRequest request = SampleRequest.of(5, 2, 1, 8, 8).withClassLabels(LABELS)
                    .withGuidance(2f, TinySetup.CONFIG.numClasses());
            return sampler.sample(net, request, new Rng(123));
        });
    }

    @Test
    void aFiveStepDdimTrajectoryMatches() {
        TensorAssert.assertClose(Tolerance.DEFAULT, PARALLEL.id(), "DDIM 5 steps, eta 0.5, guidance 2",
                ddimTrajectory(SCALAR), ddimTrajectory(PARALLEL));
    }
}
