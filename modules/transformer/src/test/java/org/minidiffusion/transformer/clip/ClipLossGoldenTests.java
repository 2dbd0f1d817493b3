package org.minidiffusion.transformer.clip;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
 * pairs, two of them with the same caption. The image and text embeddings, the logits, the loss and the
 * gradient of the loss for every parameter (both towers and the log-temperature) are compared under
 * {@link Tolerance#DEFAULT}:
 *
 * <ul>
 *   <li>{@code clip_loss_pairs}: CLIP's loss (Radford et al. 2021, Figure 3), identity targets, the
 *       initial temperature {@code log(1/0.07)};</li>
 *   <li>{@code clip_loss_groups}: targets spread over a group of two different captions
 *       ({@link ClipLoss#targets}), and {@code t = 4.7}, beyond {@code log 100}, so the scale is
 *       clamped and the temperature's gradient is 0.</li>
 * </ul>
 */
class ClipLossGoldenTests {
    static final String[] CASES = {"clip_loss_pairs", "clip_loss_groups"};

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

    /**
     * Grouping identical captions changes nothing (ClipTrainer's note): in {@code clip_loss_pairs}
     * captions 0 and 2 are identical, and the loss with them grouped equals CLIP's.
     */
    @Test
    void groupingIdenticalCaptionsGivesClipsLoss() throws IOException {
        String name = CASES[0];
        ClipModel model = new ClipModel(
                new ClipTextModel(ClipTextConfig.fromJson(ClipGoldenTests.resource(name + ".config.json")), true, new Rng(1)),
                new ClipImageEncoder(ClipImageEncoderConfig.fromJson(ClipGoldenTests.resource(name + ".image_config.json")),
                        new Rng(2)));
        SafetensorsFile f = ClipGoldenTests.load(name, Backends.current());
        model.loadStateDict(GoldenCheck.stateDict(f.metadata(), f::tensor));
        int[][] ids = ClipGoldenTests.rows(f.tensor("input_ids"));
        float clip = model.forward(f.tensor("images"), ids, null).loss().item();
        float grouped = model.forward(f.tensor("images"), ids, ClipLoss.targets(new int[] {0, 1, 0, 3, 4})).loss().item();
        float apart = model.forward(f.tensor("images"), ids, ClipLoss.targets(new int[] {0, 1, 2, 3, 1})).loss().item();
        assertEquals(clip, grouped, 1e-5f * clip);
        assertTrue(Math.abs(apart - clip) > 1e-3f, "grouping different captions changes the loss: " + clip + ", " + apart);
    }

    /** Encoding distinct captions once, cut after the last end token, gives the full encoding. */
    @Test
    void encodeTextEqualsTheFullEncoding() {
        ClipTextConfig c = new ClipTextConfig(50, 16, 40, 2, 4, 9, "quick_gelu", 1e-5f, 6, 49);
        ClipModel model = new ClipModel(new ClipTextModel(c, true, new Rng(4)).initialiseForTraining(new Rng(5)),
                new ClipImageEncoder(new ClipImageEncoderConfig(1, 4, new int[] {4}, 2, 1e-5f, 6), new Rng(6)));
        int[][] ids = {{48, 5, 17, 49, 49, 49, 49, 49, 49}, {48, 9, 49, 49, 49, 49, 49, 49, 49},
            {48, 5, 17, 49, 49, 49, 49, 49, 49}, {48, 21, 2, 40, 11, 7, 49, 49, 49}};
        Tensor fast = model.encodeText(ids);
        Tensor full = model.textEncoder().encode(ids, null).textEmbeds();
        assertArrayEquals(new int[] {4, 6}, fast.shape().toArray());
        float[] a = fast.toArray();
        float[] e = full.toArray();
        for (int i = 0; i < a.length; i++) {
            assertEquals(e[i], a[i], 1e-5f * Math.max(1f, Math.abs(e[i])), "element " + i);
        }
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
