package org.minidiffusion.vae;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.minidiffusion.core.api.Rng;
import org.minidiffusion.core.api.Tensor;
import org.minidiffusion.io.Safetensors;
import org.minidiffusion.io.SafetensorsFile;

/** Training the autoencoder: the loss falls, a resumed run is bit-identical, and bad states are refused by name. */
class AutoencoderKLTrainerTests {
    /** Greyscale, three levels, latent 4 at a quarter of the side: the Fashion-MNIST shape, much smaller. */
    static final AutoencoderKLConfig TINY = AutoencoderKLConfig.of(1, new int[] {4, 8, 8}, 1, 4, 4, 16);

    /** {@code n} 16x16 images in [-1, 1]: a bright rectangle of random place and size on a dark background. */
    static AutoencoderKLTrainer.Images rectangles(int n) {
        float[] pixels = new float[n * 16 * 16];
        Rng rng = new Rng(99);
        for (int i = 0; i < n; i++) {
            int top = rng.nextInt(8);
            int left = rng.nextInt(8);
            int h = 3 + rng.nextInt(6);
            int w = 3 + rng.nextInt(6);
            float level = 0.2f + 0.8f * rng.nextFloat();
            for (int y = 0; y < 16; y++) {
                for (int x = 0; x < 16; x++) {
                    boolean inside = y >= top && y < top + h && x >= left && x < left + w;
                    pixels[i * 256 + y * 16 + x] = inside ? level : -1f;
                }
            }
        }
        Tensor all = Tensor.of(pixels, n, 1, 16, 16);
        return new AutoencoderKLTrainer.Images() {
            @Override
            public int size() {
                return n;
            }

            @Override
            public Tensor batch(int[] indices) {
                return all.indexSelect(0, indices);
            }
        };
    }

    private static AutoencoderKLTrainer trainer(int steps, long seed) {
        return new AutoencoderKLTrainer(new AutoencoderKL(TINY, new Rng(seed)),
                VaeTrainConfig.of(steps, 4, 3e-3f, 1e-3f, seed), rectangles(8));
    }

    /** A few dozen steps on eight images: the loss falls well below where it starts. */
    @Test
    void theLossFalls() {
        AutoencoderKLTrainer t = trainer(40, 3);
        List<Double> losses = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            AutoencoderKLTrainer.StepResult r = t.step();
            assertEquals(i + 1, r.step());
            assertEquals(r.reconstruction() + 1e-3 * r.kl() / 256, r.loss(), 1e-6 * r.loss(), "loss = mse + beta kl / P");
            losses.add(r.loss());
        }
        double first = (losses.get(0) + losses.get(1) + losses.get(2)) / 3;
        double last = (losses.get(37) + losses.get(38) + losses.get(39)) / 3;
        assertTrue(last < 0.5 * first, "the loss falls by half: " + losses);
        assertEquals(40, t.completedSteps());
    }

    /** Six steps in one go equal three, a checkpoint written to a file, a resume and three more, bit for bit. */
    @Test
    void resumingContinuesExactlyAsIfTrainingHadNeverStopped(@TempDir Path dir) throws IOException {
        AutoencoderKLTrainer straight = trainer(6, 7);
        List<Double> expected = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            expected.add(straight.step().loss());
        }

        AutoencoderKLTrainer first = trainer(6, 7);
        List<Double> actual = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            actual.add(first.step().loss());
        }
        Path file = dir.resolve("checkpoint.safetensors");
        AutoencoderKLTrainer.State saved = first.checkpoint(file.toString());
        Safetensors.write(file, saved.tensors(), saved.metadata());
        AutoencoderKLTrainer resumed = AutoencoderKLTrainer.resume(read(file), rectangles(8), 0);
        assertEquals(3, resumed.completedSteps());
        assertEquals(first.config(), resumed.config());
        assertEquals(TINY, resumed.model().config());
        for (int i = 0; i < 3; i++) {
            actual.add(resumed.step().loss());
        }
        assertEquals(expected, actual, "the loss of every step");
        Map<String, Tensor> want = straight.model().stateDict();
        Map<String, Tensor> got = resumed.model().stateDict();
        assertEquals(want.keySet(), got.keySet());
        want.forEach((k, v) -> assertArrayEquals(v.toArray(), got.get(k).toArray(), 0f, k));
        Map<String, Tensor> wantOptim = straight.checkpoint("a").tensors();
        Map<String, Tensor> gotOptim = resumed.checkpoint("b").tensors();
        wantOptim.forEach((k, v) -> assertArrayEquals(v.toArray(), gotOptim.get(k).toArray(), 0f, k));
    }

    /** A longer plan on resume keeps the steps done and trains up to the new total. */
    @Test
    void resumingWithMoreStepsExtendsThePlan() {
        AutoencoderKLTrainer t = trainer(2, 1);
        t.step();
        t.step();
        AutoencoderKLTrainer more = AutoencoderKLTrainer.resume(t.checkpoint("mem"), rectangles(8), 5);
        assertEquals(5, more.config().steps());
        assertEquals(3, more.step().step());
    }

    @Test
    void badStatesAreRefusedByName() {
        AutoencoderKLTrainer t = trainer(4, 2);
        t.step();
        AutoencoderKLTrainer.State good = t.checkpoint("ckpt");
        assertRefused(good, s -> meta(s, "format", "something else"), "'format' = 'something else': expected");
        assertRefused(good, s -> meta(s, "vae_train.batch_size", "0"),
                "'vae_train.batch_size' = '0': must be an integer in [1, 65536]");
        assertRefused(good, s -> meta(s, "vae_train.beta", "NaN"), "'vae_train.beta' = 'NaN': must be a finite number");
        assertRefused(good, s -> meta(s, "completed_steps", "5"), "'completed_steps' = '5': must be an integer in [0, 4]");
        assertRefused(good, s -> meta(s, "vae_config", null), "'vae_config': the key is missing");
        assertRefused(good, s -> meta(s, "vae_config", "{\"norm_num_groups\": 3}"),
                "'vae_config': is not a valid AutoencoderKL config: AutoencoderKLConfig: block_out_channels[0] = 64 is not a positive"
                        + " multiple of norm_num_groups = 3");
        assertRefused(good, s -> meta(s, "vae_config", TINY.toJson().replace("[4, 8, 8]", "[4096, 4096, 4096]")
                        .replace("\"norm_num_groups\": 4", "\"norm_num_groups\": 1")),
                "'model.*' = '" + TINY.parameterCount() + " values': the vae_config describes an autoencoder of ");
        assertRefused(good, s -> tensor(s, "model.decoder.conv_out.bias", Tensor.of(new float[] {Float.NaN}, 1)),
                "'model.decoder.conv_out.bias' = '[0] = NaN': every stored value must be finite");
        assertRefused(good, s -> tensor(s, "optim.steps", Tensor.of(new float[] {2f}, 1)),
                "'optim.steps' = '2.0': must be a whole number in [0, completed_steps = 1]");
        Tensor v = good.tensors().get("optim.v.quant_conv.bias");
        assertRefused(good, s -> tensor(s, "optim.v.quant_conv.bias", v.sub(1f)),
                "'optim.v.quant_conv.bias' = '[0] = ");
        assertRefused(good, s -> tensor(s, "optim.m.quant_conv.bias", null),
                "'optim.m.quant_conv.bias': the tensor is missing; the two moments of a parameter come together");
        Tensor weight = good.tensors().get("model.quant_conv.weight");
        assertRefused(good, s -> {
            Map<String, Tensor> tensors = new LinkedHashMap<>(s.tensors());
            tensors.put("model.quant_conv.weight", weight.reshape(8, 8));
            return new AutoencoderKLTrainer.State(s.source(), tensors, s.metadata());
        }, "'model.quant_conv.weight' = 'shape (8, 8)': must have shape (8, 8, 1, 1)");
        IllegalArgumentException small = assertThrows(IllegalArgumentException.class,
                () -> AutoencoderKLTrainer.resume(good, rectangles(3), 0));
        assertTrue(small.getMessage().contains("must be at most the 3 images"), small.getMessage());
    }

    /** A NaN weight stops a checkpoint from being made, naming the tensor. */
    @Test
    void aNonFiniteWeightIsNotSaved() {
        AutoencoderKLTrainer t = trainer(4, 2);
        t.model().parameters().get("quant_conv.bias").set(Tensor.full(Float.POSITIVE_INFINITY, 8));
        VaeTrainingDivergedException e = assertThrows(VaeTrainingDivergedException.class, () -> t.checkpoint("ckpt"));
        assertTrue(e.getMessage().contains("model.quant_conv.bias[0] is Infinity"), e.getMessage());
        VaeTrainingDivergedException loss = assertThrows(VaeTrainingDivergedException.class, t::step);
        assertTrue(loss.getMessage().startsWith("training stopped: the loss is NaN at step 1")
                || loss.getMessage().startsWith("training stopped: the loss is Infinity at step 1"), loss.getMessage());
        assertEquals(0, t.completedSteps());
    }

    @Test
    void tooFewImagesForOneBatchIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new AutoencoderKLTrainer(
                new AutoencoderKL(TINY, new Rng(0)), VaeTrainConfig.of(2, 16, 1e-3f, 0f, 0), rectangles(8)));
        assertEquals("AutoencoderKLTrainer: the data have 8 images, fewer than one batch of 16", e.getMessage());
    }

    private static void assertRefused(AutoencoderKLTrainer.State good, UnaryOperator<AutoencoderKLTrainer.State> damage,
                                      String expected) {
        AutoencoderKLTrainer.State bad = damage.apply(good);
        InvalidTrainingStateException e = assertThrows(InvalidTrainingStateException.class,
                () -> AutoencoderKLTrainer.resume(bad, rectangles(8), 0));
        assertTrue(e.getMessage().startsWith("ckpt: " + expected), "expected 'ckpt: " + expected + "...', got: "
                + e.getMessage());
    }

    private static AutoencoderKLTrainer.State meta(AutoencoderKLTrainer.State s, String key, String value) {
        Map<String, String> m = new LinkedHashMap<>(s.metadata());
        if (value == null) {
            m.remove(key);
        } else {
            m.put(key, value);
        }
        return new AutoencoderKLTrainer.State(s.source(), s.tensors(), m);
    }

    private static AutoencoderKLTrainer.State tensor(AutoencoderKLTrainer.State s, String key, Tensor value) {
        Map<String, Tensor> m = new LinkedHashMap<>(s.tensors());
        if (value == null) {
            m.remove(key);
        } else {
            m.put(key, value);
        }
        return new AutoencoderKLTrainer.State(s.source(), m, s.metadata());
    }

    private static AutoencoderKLTrainer.State read(Path file) throws IOException {
        SafetensorsFile f = Safetensors.read(file);
        return new AutoencoderKLTrainer.State(file.toString(), f.tensors(), f.metadata());
    }
}
