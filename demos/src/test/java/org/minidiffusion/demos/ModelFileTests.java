package org.minidiffusion.demos;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.minidiffusion.core.api.Rng;
import org.minidiffusion.core.api.Tensor;
import org.minidiffusion.diffusion.BetaSchedule;
import org.minidiffusion.diffusion.PredictionType;
import org.minidiffusion.diffusion.train.TrainConfig;
import org.minidiffusion.diffusion.train.Trainer;
import org.minidiffusion.diffusion.train.TrainingData;
import org.minidiffusion.diffusion.unet.UNet;
import org.minidiffusion.diffusion.unet.UNetConfig;
import org.minidiffusion.io.Safetensors;

/** The model file that train writes and generate reads. */
class ModelFileTests {
    @TempDir
    Path dir;

    private static final UNetConfig SMALL = new UNetConfig(8, 1, 1, 8, new int[] {1, 2}, 1, Set.of(4), 4, 2, 3, 0f);

    @Test
    void aModelFileRoundTrips() throws IOException {
        UNet unet = new UNet(SMALL, new Rng(3));
        TrainConfig train = new TrainConfig(40, 4, 2e-3f, 4, 0.01f, 1f, 0.95f, 0.1f, 9L, PredictionType.V_PREDICTION,
                BetaSchedule.LINEAR, 500);
        Path file = dir.resolve("sub/model.safetensors");
        ModelFile.write(file, unet, train, 37, Map.of(ModelFile.CLASS_NAMES, "a,b,c", "data", "somewhere"));

        ModelFile.Model m = ModelFile.read(file);
        assertEquals(SMALL, m.unet().config());
        assertEquals(PredictionType.V_PREDICTION, m.prediction());
        assertEquals(BetaSchedule.LINEAR, m.betaSchedule());
        assertEquals(500, m.trainTimesteps());
        assertEquals(500, m.schedule().trainSteps());
        assertEquals(37, m.completedSteps());
        assertEquals(java.util.List.of("a", "b", "c"), m.classNames());
        assertEquals("somewhere", m.metadata().get("data"));
        assertEquals(ModelFile.FORMAT, m.metadata().get(ModelFile.FORMAT_KEY));
        assertEquals(train, TrainConfig.fromMetadata(m.metadata()), "the training settings are stored too");
        assertTrue(!m.unet().isTraining(), "a loaded model is in evaluation mode");
        assertSameWeights(unet.stateDict(), m.unet().stateDict());
    }

    @Test
    void aTrainingCheckpointIsReadThroughItsEmaWeights() throws IOException {
        TrainConfig train = new TrainConfig(2, 4, 3e-3f, 0, 0.01f, 1f, 0.5f, 0.25f, 11L, PredictionType.EPSILON,
                BetaSchedule.COSINE, 100);
        Trainer trainer = new Trainer(new UNet(SMALL, new Rng(5)), train, squares());
        trainer.step();
        trainer.step();
        Path checkpoint = dir.resolve("checkpoint.safetensors");
        TrainingCheckpoints.save(trainer, checkpoint);

        ModelFile.Model m = ModelFile.read(checkpoint);
        assertSameWeights(trainer.emaModel().stateDict(), m.unet().stateDict());
        assertEquals(2, m.completedSteps());
        assertEquals(100, m.trainTimesteps());
        assertEquals(java.util.List.of("class 0", "class 1", "class 2"), m.classNames(), "no names stored");
    }

    @Test
    void aMissingFileIsNoSuchFile() {
        Path missing = dir.resolve("nope.safetensors");
        assertEquals(missing.toString(), assertThrows(NoSuchFileException.class, () -> ModelFile.read(missing)).getMessage());
    }

    @Test
    void aFileOfAnotherFormatIsAClearError() throws IOException {
        Path file = dir.resolve("other.safetensors");
        Safetensors.write(file, Map.of("w", Tensor.zeros(2)), Map.of("format", "pt"));
        DemoException e = assertThrows(DemoException.class, () -> ModelFile.read(file));
        assertTrue(e.getMessage().contains(file.toString()) && e.getMessage().contains("format 'pt'"), e.getMessage());
    }

    @Test
    void missingMetadataIsAClearError() throws IOException {
        UNet unet = new UNet(SMALL, new Rng(3));
        Map<String, String> meta = new LinkedHashMap<>(SMALL.toMetadata());
        meta.put(ModelFile.FORMAT_KEY, ModelFile.FORMAT);
        Path file = dir.resolve("incomplete.safetensors");
        Safetensors.write(file, unet.stateDict(), meta);
        DemoException e = assertThrows(DemoException.class, () -> ModelFile.read(file));
        assertTrue(e.getMessage().contains("prediction_type"), e.getMessage());
    }

    private static void assertSameWeights(Map<String, Tensor> expected, Map<String, Tensor> actual) {
        assertEquals(expected.keySet(), actual.keySet());
        expected.forEach((k, v) -> assertArrayEquals(v.toArray(), actual.get(k).toArray(), 0f, k));
    }

    /** Eight 8x8 images of three classes. */
    private static TrainingData squares() {
        return new TrainingData() {
            @Override
            public int size() {
                return 8;
            }

            @Override
            public Batch batch(int[] indices) {
                float[] pixels = new float[indices.length * 64];
                int[] labels = new int[indices.length];
                for (int b = 0; b < indices.length; b++) {
                    labels[b] = indices[b] % 3;
                    for (int i = 0; i < 64; i++) {
                        pixels[b * 64 + i] = (i % 8) / 3 == labels[b] ? 1f : -1f;
                    }
                }
                return new Batch(Tensor.of(pixels, indices.length, 1, 8, 8), labels);
            }
        };
    }
}
