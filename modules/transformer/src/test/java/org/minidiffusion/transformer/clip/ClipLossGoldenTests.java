package org.minidiffusion.transformer.clip;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.minidiffusion.core.api.Backend;
import org.minidiffusion.core.api.Backends;
import org.minidiffusion.core.api.Rng;
import org.minidiffusion.core.api.Tensor;
import org.minidiffusion.io.SafetensorsFile;
import org.minidiffusion.testkit.GoldenCheck;
import org.minidiffusion.testkit.Tolerance;

/**
 * Golden tests of contrastive training's forward and backward pass against PyTorch
 * ({@code tools/golden_clip_loss.py}), on both backends: a joint {@link ClipModel} of a two-layer
 * {@link ClipTextModel} and a three-level {@link ClipImageEncoder} (9x9 images, widths 4, 8, 8), five
 * pairs of which two share a caption. The image and text embeddings, the logits, the loss and the
 * gradient of the loss for every parameter (both towers and the log-temperature) are compared under
 * {@link Tolerance#DEFAULT}:
 *
 * <ul>
 *   <li>{@code clip_loss_pairs}: CLIP's loss (Radford et al. 2021, Figure 3), identity targets, the
 *       initial temperature {@code log(1/0.07)};</li>
 *   <li>{@code clip_loss_same_caption}: targets spread over identical captions, and {@code t = 4.7},
 *       beyond {@code log 100}, so the scale is clamped and the temperature's gradient is 0.</li>
 * </ul>
 */
class ClipLossGoldenTests {
    static final String[] CASES = {"clip_loss_pairs", "clip_loss_same_caption"};

    static Stream<Arguments> cases() {
        return GoldenCheck.cases(CASES);
    }

    @ParameterizedTest(name = "{1} on {0}")
    @MethodSource("cases")
    void lossAndGradientsMatchPyTorch(String backendId, String name) throws IOException {
        Backend backend = Backends.get(backendId);
        ClipTextConfig text = ClipTextConfig.fromJson(ClipGoldenTests.resource(name + ".config.json"));
        ClipImageEncoderConfig image = ClipImageEncoderConfig.fromJson(ClipGoldenTests.resource(name + ".image_config.json"));
        backend.run(() -> {
            SafetensorsFile f = ClipGoldenTests.load(name, backend);
            ClipModel model = new ClipModel(new ClipTextModel(text, true, new Rng(1)), new ClipImageEncoder(image, new Rng(2)));
            Map<String, Tensor> state = GoldenCheck.stateDict(f.metadata(), f::tensor);
            assertEquals(new TreeSet<>(state.keySet()), new TreeSet<>(model.parameters().keySet()),
                    name + ": parameter names of ClipModel and of the PyTorch module tree");
            model.loadStateDict(state);
            Tensor targets = f.tensors().containsKey("targets") ? f.tensor("targets") : null;
            ClipModel.Output out = model.forward(f.tensor("images"), ClipGoldenTests.rows(f.tensor("input_ids")), targets);
            GoldenCheck check = new GoldenCheck(name, backendId, Tolerance.DEFAULT);
            check.close("image_embeds", f.tensor("image_embeds"), out.imageEmbeds());
            check.close("text_embeds", f.tensor("text_embeds"), out.textEmbeds());
            check.close("logits_per_image", f.tensor("logits_per_image"), out.logitsPerImage());
            check.close("loss", f.tensor("loss"), out.loss().reshape(1));
            out.loss().backward();
            model.parameters().forEach((param, p) -> check.close("grad." + param, f.tensor("grad." + param), p.grad()));
            assertEquals(model.parameters().size(), f.tensors().keySet().stream().filter(k -> k.startsWith("grad.")).count(),
                    name + ": every stored gradient is compared");
            check.finish();
        });
    }

    /** With one pair per group, the group targets are the identity and give CLIP's loss. */
    @Test
    void distinctGroupsGiveTheIdentityTargets() {
        Tensor logits = Tensor.of(new float[] {3f, -1f, 0.5f, 2f, 1f, -2f, 0f, 0.25f, 4f}, 3, 3);
        float plain = ClipLoss.loss(logits).item();
        float grouped = ClipLoss.loss(logits, ClipLoss.targets(new int[] {7, 1, 4})).item();
        assertEquals(plain, grouped, 0f);
        // by hand: rows -log softmax at the diagonal, columns the same on the transpose
        double rows = 0;
        double cols = 0;
        float[] l = logits.toArray();
        for (int i = 0; i < 3; i++) {
            double r = 0;
            double c = 0;
            for (int j = 0; j < 3; j++) {
                r += Math.exp(l[i * 3 + j]);
                c += Math.exp(l[j * 3 + i]);
            }
            rows += Math.log(r) - l[i * 3 + i];
            cols += Math.log(c) - l[i * 3 + i];
        }
        assertEquals((rows + cols) / 6, plain, 1e-5);
    }

    @Test
    void badTargetsAreRefusedWithTheEntry() {
        Tensor logits = Tensor.zeros(2, 2);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ClipLoss.loss(logits, Tensor.of(new float[] {1f, 0f, 0f, 0f}, 2, 2)));
        assertEquals("ClipLoss: target [1][1] is 0; each pair is its own target", e.getMessage());
    }
}
