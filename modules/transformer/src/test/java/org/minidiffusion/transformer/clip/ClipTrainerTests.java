package org.minidiffusion.transformer.clip;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.minidiffusion.core.api.Rng;
import org.minidiffusion.core.api.Tensor;
import org.minidiffusion.io.Safetensors;
import org.minidiffusion.io.SafetensorsFile;

/**
 * Contrastive training on a synthetic task, exact resume, and the files of the trained towers.
 *
 * <p>The task: 8x8 images of four classes, class {@code k} a bright quadrant {@code k} on a dark
 * ground plus noise, each captioned {@code <start> k <end>} (padded with the end token). Chance
 * retrieval of the right caption among a chunk is about 1/4.
 */
class ClipTrainerTests {
    static final int START = 20;
    static final int END = 21;
    static final int CONTEXT = 5;

    /** The synthetic pairs: {@code n} images of 4 classes, class = index mod 4. */
    static final class Quadrants implements ImageTextPairs {
        private final float[][] images;
        private final int[][] ids;

        Quadrants(int n, long seed) {
            Rng rng = new Rng(seed);
            images = new float[n][64];
            ids = new int[n][];
            for (int i = 0; i < n; i++) {
                int k = i % 4;
                for (int y = 0; y < 8; y++) {
                    for (int x = 0; x < 8; x++) {
                        boolean lit = (y / 4) * 2 + (x / 4) == k;
                        float v = (lit ? 0.8f : -0.8f) + 0.3f * (float) rng.nextGaussian();
                        images[i][y * 8 + x] = Math.max(-1f, Math.min(1f, v));
                    }
                }
                ids[i] = new int[] {START, 3 + k, END, END, END};
            }
        }

        @Override
        public int size() {
            return images.length;
        }

        @Override
        public Tensor images(int[] indices) {
            float[] out = new float[indices.length * 64];
            for (int b = 0; b < indices.length; b++) {
                System.arraycopy(images[indices[b]], 0, out, b * 64, 64);
            }
            return Tensor.of(out, indices.length, 1, 8, 8);
        }

        @Override
        public int[] tokenIds(int index) {
            return ids[index];
        }
    }

    static ClipModel tinyModel(long seed) {
        ClipTextConfig text = new ClipTextConfig(22, 16, 32, 1, 2, CONTEXT, "quick_gelu", 1e-5f, 8, END);
        ClipImageEncoderConfig image = new ClipImageEncoderConfig(1, 8, new int[] {8, 16}, 4, 1e-5f, 8);
        Rng rng = new Rng(seed);
        return new ClipModel(new ClipTextModel(text, true, rng).initialiseForTraining(rng), new ClipImageEncoder(image, rng));
    }

    static ClipTrainConfig config(int steps) {
        return new ClipTrainConfig(steps, 16, 3e-3f, Math.min(5, steps), 0.1f, 7);
    }

    @Test
    void retrievalRisesWellAboveChanceOnASyntheticTask() {
        Quadrants train = new Quadrants(256, 1);
        Quadrants heldOut = new Quadrants(128, 2);
        int[] all = IntStream.range(0, heldOut.size()).toArray();
        ClipModel model = tinyModel(3);
        ClipRetrieval.Result before = ClipRetrieval.measure(model, heldOut, all, 32);
        ClipTrainer trainer = new ClipTrainer(model, config(40), train);
        double firstLoss = trainer.step().loss();
        ClipTrainer.StepResult last = null;
        while (trainer.completedSteps() < 40) {
            last = trainer.step();
        }
        ClipRetrieval.Result after = ClipRetrieval.measure(model, heldOut, all, 32);
        System.out.printf("synthetic task: loss %.3f -> %.3f, image->text top-1 %.3f -> %.3f, text->image %.3f -> %.3f"
                + " (chance %.3f)%n", firstLoss, last.loss(), before.imageToText(), after.imageToText(),
                before.textToImage(), after.textToImage(), after.chance());
        assertEquals(0.25, after.chance(), 1e-9, "4 captions, 8 of each in a chunk of 32");
        assertTrue(before.imageToText() < 0.5, "before training " + before);
        assertTrue(after.imageToText() >= 0.95 && after.textToImage() >= 0.95,
                "after 40 steps " + after + " (before " + before + ")");
        assertTrue(last.loss() < firstLoss, "loss " + firstLoss + " -> " + last.loss());
    }

    @Test
    void aResumedRunContinuesExactly(@TempDir Path dir) throws IOException {
        Quadrants data = new Quadrants(40, 1); // 16 of 40 per step: the second epoch starts within the run
        ClipTrainer straight = new ClipTrainer(tinyModel(5), config(6), data);
        double[] losses = new double[6];
        for (int i = 0; i < 6; i++) {
            losses[i] = straight.step().loss();
        }
        ClipTrainer first = new ClipTrainer(tinyModel(5), config(6), data);
        for (int i = 0; i < 3; i++) {
            assertEquals(losses[i], first.step().loss(), 0.0);
        }
        Path file = dir.resolve("checkpoint.safetensors");
        ClipTrainer.State state = first.state(file.toString());
        Safetensors.write(file, state.tensors(), state.metadata());
        SafetensorsFile read = Safetensors.read(file);
        ClipTrainer resumed = ClipTrainer.resume(file.toString(), new ClipTrainer.State(read.tensors(), read.metadata()),
                data, 0);
        assertEquals(3, resumed.completedSteps());
        assertEquals(first.config(), resumed.config());
        for (int i = 3; i < 6; i++) {
            assertEquals(losses[i], resumed.step().loss(), 0.0, "step " + (i + 1));
        }
        Map<String, Tensor> expected = straight.model().stateDict();
        resumed.model().stateDict().forEach((k, v) -> assertArrayEquals(expected.get(k).toArray(), v.toArray(), k));
    }

    @Test
    void resumeNamesWhatIsWrong(@TempDir Path dir) {
        Quadrants data = new Quadrants(32, 1);
        ClipTrainer trainer = new ClipTrainer(tinyModel(5), config(4), data);
        trainer.step();
        ClipTrainer.State good = trainer.state("ckpt");

        Map<String, String> meta = new LinkedHashMap<>(good.metadata());
        meta.put("format", "something else");
        assertEquals("ckpt: the metadata 'format' is 'something else', not '" + ClipTrainer.FORMAT + "'",
                assertThrows(IllegalArgumentException.class,
                        () -> ClipTrainer.resume("ckpt", new ClipTrainer.State(good.tensors(), meta), data, 0)).getMessage());

        Map<String, String> steps = new LinkedHashMap<>(good.metadata());
        steps.put("completed_steps", "9");
        assertEquals("ckpt: the metadata key 'completed_steps' is 9, outside [0, 4]",
                assertThrows(IllegalArgumentException.class,
                        () -> ClipTrainer.resume("ckpt", new ClipTrainer.State(good.tensors(), steps), data, 0)).getMessage());

        Map<String, Tensor> missing = new LinkedHashMap<>(good.tensors());
        missing.remove("model.logit_scale");
        String m = assertThrows(IllegalArgumentException.class,
                () -> ClipTrainer.resume("ckpt", new ClipTrainer.State(missing, good.metadata()), data, 0)).getMessage();
        assertTrue(m.startsWith("ckpt: the weights (model.*) do not fit the configs:") && m.contains("'logit_scale'"), m);

        Map<String, Tensor> nan = new LinkedHashMap<>(good.tensors());
        nan.put("optim.no_decay.m.logit_scale", Tensor.of(new float[] {Float.NaN}, 1));
        assertEquals("ckpt: optim.no_decay.m.logit_scale[0] = NaN is not finite",
                assertThrows(IllegalArgumentException.class,
                        () -> ClipTrainer.resume("ckpt", new ClipTrainer.State(nan, good.metadata()), data, 0)).getMessage());

        Map<String, Tensor> shape = new LinkedHashMap<>(good.tensors());
        shape.put("optim.no_decay.v.logit_scale", Tensor.zeros(2));
        assertEquals("ckpt: the tensor 'optim.no_decay.v.logit_scale' has shape (2), expected (1)",
                assertThrows(IllegalArgumentException.class,
                        () -> ClipTrainer.resume("ckpt", new ClipTrainer.State(shape, good.metadata()), data, 0)).getMessage());
    }

    @Test
    void trainedTowersRoundTripThroughTheirFiles(@TempDir Path dir) throws IOException {
        ClipModel model = tinyModel(9);
        model.textEncoder().save(dir.resolve("text"), Map.of("bos_token_id", START, "pad_token_id", END));
        model.imageEncoder().save(dir.resolve("image"));
        ClipTextModel text = ClipTextModel.load(dir.resolve("text/config.json"), dir.resolve("text/model.safetensors"));
        ClipImageEncoder image = ClipImageEncoder.load(dir.resolve("image/config.json"), dir.resolve("image/model.safetensors"));
        assertEquals(model.textEncoder().config(), text.config());
        assertEquals(model.imageEncoder().config(), image.config());
        int[][] ids = {{START, 4, END, END, END}};
        assertArrayEquals(model.textEncoder().encode(ids, null).textEmbeds().toArray(),
                text.encode(ids, null).textEmbeds().toArray());
        Tensor images = new Quadrants(2, 3).images(new int[] {0, 1});
        assertArrayEquals(model.imageEncoder().forward(images).toArray(), image.forward(images).toArray());
        String json = Files.readString(dir.resolve("text/config.json"));
        assertTrue(json.contains("\"architectures\": [\"CLIPTextModelWithProjection\"]") && json.contains("\"bos_token_id\": 20"),
                json);
    }

    /** Hugging Face's initialisation: the standard deviations of _init_weights, zero biases, unit norms. */
    @Test
    void initialisationForTrainingFollowsHuggingFace() {
        ClipTextConfig c = new ClipTextConfig(300, 64, 256, 4, 4, 16, "gelu", 1e-5f, 32, 299);
        ClipTextModel model = new ClipTextModel(c, true, new Rng(1)).initialiseForTraining(new Rng(2));
        Map<String, Tensor> s = model.stateDict();
        double inProj = Math.pow(64, -0.5) * Math.pow(8, -0.5);
        assertStd(0.02, s.get("text_model.embeddings.token_embedding.weight"));
        assertStd(0.02, s.get("text_model.embeddings.position_embedding.weight"));
        assertStd(inProj, s.get("text_model.encoder.layers.2.self_attn.k_proj.weight"));
        assertStd(Math.pow(64, -0.5), s.get("text_model.encoder.layers.2.self_attn.out_proj.weight"));
        assertStd(Math.pow(128, -0.5), s.get("text_model.encoder.layers.1.mlp.fc1.weight"));
        assertStd(inProj, s.get("text_model.encoder.layers.1.mlp.fc2.weight"));
        assertStd(Math.pow(64, -0.5), s.get("text_projection.weight"));
        for (float v : s.get("text_model.encoder.layers.3.mlp.fc1.bias").toArray()) {
            assertEquals(0f, v);
        }
        for (float v : s.get("text_model.final_layer_norm.weight").toArray()) {
            assertEquals(1f, v);
        }
    }

    private static void assertStd(double expected, Tensor t) {
        float[] v = t.toArray();
        double sq = 0;
        for (float x : v) {
            sq += x * (double) x;
        }
        double std = Math.sqrt(sq / v.length);
        assertEquals(expected, std, expected * 5 / Math.sqrt(v.length) + expected * 0.02, "std of " + t.shape());
    }
}
