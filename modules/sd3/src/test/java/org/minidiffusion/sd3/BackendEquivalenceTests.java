package org.minidiffusion.sd3;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.minidiffusion.core.api.Backend;
import org.minidiffusion.core.api.Backends;
import org.minidiffusion.core.api.Tensor;
import org.minidiffusion.testkit.TensorAssert;
import org.minidiffusion.testkit.Tolerance;

/**
 * The parallel backend against the scalar reference on the whole text-to-image pipeline: a tiny
 * random model (CLIP, T5, MMDiT and VAE built from the configs of {@link Tiny}) draws the same
 * images on both, within {@link Tolerance#DEFAULT}: the same weights from the same seeds, the same
 * noise, then the prompt encoders, three guided Euler steps of the MMDiT and the decoder, thousands
 * of chained ops whose differences would show here first.
 */
class BackendEquivalenceTests {
    private static final Backend SCALAR = Backends.get("scalar");
    private static final Backend PARALLEL = Backends.get("parallel");

    private static Tensor images(Backend backend, long seed) {
        return backend.call(() -> Tiny.pipeline(42).generate(GenerationRequest.of(
                        List.of("a photo of a dark sneaker", "a pair of light trousers"))
                .withCount(2).withSteps(3).withGuidance(3).withNegativePrompt("a bag").withSeed(seed)));
    }

    @Test
    void threeGuidedEulerStepsDrawTheSameImagesOnBothBackends() {
        TensorAssert.assertClose(Tolerance.DEFAULT, PARALLEL.id(), "txt2img, 3 Euler steps, guidance 3",
                images(SCALAR, 7), images(PARALLEL, 7));
    }
}
