package org.minidiffusion.sd3.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.minidiffusion.core.api.Autograd;
import org.minidiffusion.core.api.Parameter;
import org.minidiffusion.core.api.Rng;
import org.minidiffusion.core.api.Tensor;
import org.minidiffusion.diffusion.InvalidFieldException;
import org.minidiffusion.transformer.clip.ClipTextModel;

/** The text-to-image trainer on a micro model and four latents. */
class TextToImageTrainerTests {
    private static TinyT2i tiny;

    @BeforeAll
    static void frozenParts() {
        tiny = new TinyT2i();
    }

    private static TextToImageTrainer trainer(TextToImageTrainConfig config, LatentDataset data) {
        return new TextToImageTrainer(config, tiny.clipTokenizer, tiny.clip, tiny.t5Tokenizer, data);
    }

    private static Map<String, float[]> values(Map<String, Tensor> tensors) {
        Map<String, float[]> out = new LinkedHashMap<>();
        tensors.forEach((k, v) -> out.put(k, v.toArray()));
        return out;
    }

    private static Map<String, float[]> weights(org.minidiffusion.core.api.Parameterized layer) {
        try (Autograd.Scope s = Autograd.noGrad()) {
            return values(layer.stateDict());
        }
    }

    /** A copy of a state, as a file would hold it: new tensors, the trainer's own left behind. */
    private static TextToImageTrainer.State copy(TextToImageTrainer.State state) {
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        state.tensors().forEach((k, v) -> tensors.put(k, Tensor.of(v.toArray(), v.shape().toArray())));
        return new TextToImageTrainer.State("ckpt", tensors, state.metadata());
    }

    @Test
    void lossFallsOnATinyOverfitProblem() {
        TextToImageTrainer t = trainer(tiny.config(300, 3e-3f, 0f, 1), TinyT2i.latents(1f));
        double[] losses = new double[300];
        for (int i = 0; i < losses.length; i++) {
            losses[i] = t.step().loss();
        }
        double first = Arrays.stream(losses, 0, 20).average().orElseThrow();
        double last = Arrays.stream(losses, 250, 300).average().orElseThrow();
        // At the start the model predicts zero (adaLN-Zero), so the loss is E|ε − x_0|² ≈ 1 + E x_0² ≈ 2.
        assertTrue(first > 1.4 && first < 3.0, "first losses " + first);
        assertTrue(last < 0.5 * first, "the loss falls from " + first + " to " + last);
    }

    @Test
    void aResumedRunContinuesExactly() {
        LatentDataset data = TinyT2i.latents(1f);
        TextToImageTrainer straight = trainer(tiny.config(6, 2e-3f, 0.3f, 4), data);
        double[] expected = new double[6];
        for (int i = 0; i < 6; i++) {
            expected[i] = straight.step().loss();
        }
        TextToImageTrainer first = trainer(tiny.config(6, 2e-3f, 0.3f, 4), data);
        for (int i = 0; i < 3; i++) {
            assertEquals(expected[i], first.step().loss(), 0.0);
        }
        TextToImageTrainer.State saved = copy(first.state("ckpt"));
        assertEquals("3", saved.metadata().get("completed_steps"));
        TextToImageTrainer resumed = TextToImageTrainer.resume(saved, tiny.clipTokenizer, tiny.clip, tiny.t5Tokenizer,
                data, 0);
        assertEquals(3, resumed.completedSteps());
        for (int i = 3; i < 6; i++) {
            assertEquals(expected[i], resumed.step().loss(), 0.0, "loss of step " + (i + 1));
        }
        Map<String, float[]> a = values(straight.state("a").tensors());
        Map<String, float[]> b = values(resumed.state("b").tensors());
        assertEquals(a.keySet(), b.keySet());
        a.forEach((k, v) -> assertArrayEquals(v, b.get(k), 0f, k));
        assertTrue(a.containsKey("ema.transformer.proj_out.weight") && a.containsKey("ema.text_encoder_3.shared.weight")
                && a.containsKey("optim.m.text_encoder_3.shared.weight") && a.containsKey("optim.steps"), a.keySet()
                .toString());
        assertEquals(straight.captionsAt(7), resumed.captionsAt(7));
    }

    @Test
    void clipStaysFrozenWhileT5AndTheMmditLearn() {
        TextToImageTrainer t = trainer(tiny.config(3, 1e-2f, 0f, 2), TinyT2i.latents(1f));
        Map<String, float[]> clipBefore = weights(tiny.clip);
        Map<String, float[]> t5Before = weights(t.encoder().t5());
        Map<String, float[]> mmditBefore = weights(t.transformer());
        // adaLN-Zero: at step 1 only the output projection has a gradient; from step 3 it reaches the text
        // stream through the gates and the output projection that the earlier steps moved off zero.
        for (int i = 0; i < 3; i++) {
            t.step();
            weights(tiny.clip).forEach((k, v) -> assertArrayEquals(clipBefore.get(k), v, 0f, "CLIP " + k));
            for (Parameter p : tiny.clip.parameters().values()) {
                assertFalse(p.value().hasGrad(), "CLIP holds no gradient");
            }
        }
        Map<String, float[]> t5After = weights(t.encoder().t5());
        long changed = t5After.entrySet().stream().filter(e -> !Arrays.equals(e.getValue(), t5Before.get(e.getKey())))
                .count();
        assertEquals(t5After.size(), changed, "every T5 tensor moved: " + t5After.keySet());
        assertFalse(Arrays.equals(mmditBefore.get("proj_out.weight"), weights(t.transformer()).get("proj_out.weight")));
        assertTrue(t.trainedParameters() > 0);
    }

    @Test
    void aFreshModelPredictsZero() {
        TextToImageTrainer t = trainer(tiny.config(3, 1e-3f, 0f, 2), TinyT2i.latents(1f));
        Map<String, float[]> w = weights(t.transformer());
        for (String k : List.of("proj_out.weight", "proj_out.bias", "norm_out.linear.weight",
                "transformer_blocks.0.norm1.linear.weight", "transformer_blocks.1.norm1_context.linear.bias")) {
            for (float v : w.get(k)) {
                assertEquals(0f, v, k);
            }
        }
    }

    @Test
    void aDivergingStepNamesItsStepAndChangesNothing() {
        TextToImageTrainer t = trainer(tiny.config(3, 1e-3f, 0f, 2), TinyT2i.latents(1e30f));
        Map<String, float[]> before = weights(t.transformer());
        TextToImageTrainingException e = assertThrows(TextToImageTrainingException.class, t::step);
        assertTrue(e.getMessage().startsWith("training stopped: the loss is ") && e.getMessage().contains(" at step 1;"),
                e.getMessage());
        weights(t.transformer()).forEach((k, v) -> assertArrayEquals(before.get(k), v, 0f, k));
        assertEquals(0, t.completedSteps());
    }

    @Test
    void resumeRefusesOtherPartsAndBadStates() {
        LatentDataset data = TinyT2i.latents(1f);
        TextToImageTrainer t = trainer(tiny.config(4, 1e-3f, 0f, 2), data);
        t.step();
        TextToImageTrainer.State state = copy(t.state("ckpt"));

        ClipTextModel other = new ClipTextModel(tiny.clip.config(), true, new Rng(5));
        InvalidFieldException e = assertThrows(InvalidFieldException.class, () -> TextToImageTrainer.resume(state,
                tiny.clipTokenizer, other, tiny.t5Tokenizer, data, 0));
        assertTrue(e.getMessage().startsWith("ckpt: 'clip_fingerprint' = '"), e.getMessage());
        e = assertThrows(InvalidFieldException.class, () -> TextToImageTrainer.resume(state, tiny.clipTokenizer,
                tiny.clip, tiny.t5Tokenizer, TinyT2i.latents(2f), 0));
        assertTrue(e.getMessage().startsWith("ckpt: 'data_fingerprint' = '"), e.getMessage());

        Map<String, String> meta = new LinkedHashMap<>(state.metadata());
        meta.put("completed_steps", "9");
        e = assertThrows(InvalidFieldException.class, () -> TextToImageTrainer.resume(new TextToImageTrainer.State("ckpt",
                state.tensors(), meta), tiny.clipTokenizer, tiny.clip, tiny.t5Tokenizer, data, 0));
        assertTrue(e.getMessage().startsWith("ckpt: 'completed_steps' = '9'"), e.getMessage());

        Map<String, Tensor> tensors = new LinkedHashMap<>(state.tensors());
        tensors.put("text_encoder_3.shared.weight", Tensor.zeros(3, 3));
        e = assertThrows(InvalidFieldException.class, () -> TextToImageTrainer.resume(new TextToImageTrainer.State("ckpt",
                tensors, state.metadata()), tiny.clipTokenizer, tiny.clip, tiny.t5Tokenizer, data, 0));
        assertTrue(e.getMessage().startsWith("ckpt: 'text_encoder_3.shared.weight' = 'shape (3, 3)'"), e.getMessage());

        Map<String, Tensor> nan = new LinkedHashMap<>(state.tensors());
        Tensor w = nan.get("ema.transformer.proj_out.weight");
        float[] v = w.toArray();
        v[2] = Float.NaN;
        nan.put("ema.transformer.proj_out.weight", Tensor.of(v, w.shape().toArray()));
        e = assertThrows(InvalidFieldException.class, () -> TextToImageTrainer.resume(new TextToImageTrainer.State("ckpt",
                nan, state.metadata()), tiny.clipTokenizer, tiny.clip, tiny.t5Tokenizer, data, 0));
        assertTrue(e.getMessage().startsWith("ckpt: 'ema.transformer.proj_out.weight' = '[2] = NaN'"), e.getMessage());

        Map<String, String> format = new LinkedHashMap<>(state.metadata());
        format.put("format", "something else");
        e = assertThrows(InvalidFieldException.class, () -> TextToImageTrainer.resume(new TextToImageTrainer.State("ckpt",
                state.tensors(), format), tiny.clipTokenizer, tiny.clip, tiny.t5Tokenizer, data, 0));
        assertTrue(e.getMessage().startsWith("ckpt: 'format' = 'something else'"), e.getMessage());

        TextToImageTrainer extended = TextToImageTrainer.resume(state, tiny.clipTokenizer, tiny.clip, tiny.t5Tokenizer,
                data, 10);
        assertEquals(10, extended.config().steps());
        assertEquals(1, extended.completedSteps());
    }

    @Test
    void timestepsAreAThousandTimesT() {
        assertArrayEquals(new float[] {0f, 250f, 1000f}, TextToImageTrainer.timesteps(new double[] {0, 0.25, 1}).toArray());
    }

    @Test
    void theEmaModelsHoldTheAverages() {
        TextToImageTrainer t = trainer(tiny.config(3, 1e-2f, 0f, 2), TinyT2i.latents(1f));
        t.step();
        t.step();
        Map<String, float[]> state = values(t.state("s").tensors());
        weights(t.emaTransformer()).forEach((k, v) -> assertArrayEquals(state.get("ema.transformer." + k), v, 0f, k));
        weights(t.emaT5()).forEach((k, v) -> assertArrayEquals(state.get("ema.text_encoder_3." + k), v, 0f, k));
        weights(t.emaEncoder().t5()).forEach((k, v) -> assertArrayEquals(state.get("ema.text_encoder_3." + k), v, 0f, k));
    }
}
