package org.minidiffusion.diffusion.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.LongFunction;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.minidiffusion.core.api.Backend;
import org.minidiffusion.core.api.Backends;
import org.minidiffusion.core.api.Tensor;
import org.minidiffusion.diffusion.unet.UNet;

/** Training: the loss falls, a resumed run is bit-identical, and a NaN stops training cleanly. */
class TrainerTests {
    private static final Backend SCALAR = Backends.get("scalar");

    @TempDir
    Path dir;

    @Test
    void resumingContinuesExactlyAsIfTrainingHadNeverStopped() {
        SCALAR.run(() -> assertResumeIsExact(TinySetup::unet));
    }

    @Test
    void resumingWithDropoutContinuesExactly() {
        // The dropout masks of step s must come from (seed, s) too, not from a generator whose
        // position a checkpoint does not record.
        SCALAR.run(() -> assertResumeIsExact(TinySetup::unetWithDropout));
    }

    /** Compares 6 straight steps with 3 steps, a save, a resume and 3 more, bit for bit. */
    private void assertResumeIsExact(LongFunction<UNet> model) {
        Trainer straight = new Trainer(model.apply(5), TinySetup.config(6), TinySetup.data());
        List<Double> lossesStraight = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            lossesStraight.add(straight.step().loss());
        }

        Trainer first = new Trainer(model.apply(5), TinySetup.config(6), TinySetup.data());
        List<Double> lossesResumed = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            lossesResumed.add(first.step().loss());
        }
        Path ckpt = dir.resolve("ckpt.safetensors");
        Trainer resumed;
        try {
            CheckpointFiles.save(first, ckpt);
            resumed = CheckpointFiles.resume(ckpt, TinySetup.data(), 0);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        assertEquals(3, resumed.completedSteps());
        for (int i = 0; i < 3; i++) {
            lossesResumed.add(resumed.step().loss());
        }
        assertEquals(lossesStraight, lossesResumed, "the loss sequence must be identical");
        assertSameWeights(straight.model().stateDict(), resumed.model().stateDict());
        assertSameWeights(straight.emaModel().stateDict(), resumed.emaModel().stateDict());
    }

    private static void assertSameWeights(Map<String, Tensor> expected, Map<String, Tensor> actual) {
        assertEquals(expected.keySet(), actual.keySet());
        expected.forEach((k, v) -> assertArrayEquals(v.toArray(), actual.get(k).toArray(), 0f, k));
    }

    @Test
    void theLossFallsOnASimpleDataSet() {
        SCALAR.run(() -> {
            Trainer trainer = new Trainer(TinySetup.unet(1), TinySetup.config(60), TinySetup.data());
            double early = 0;
            double late = 0;
            for (int i = 0; i < 60; i++) {
                double loss = trainer.step().loss();
                if (i < 10) {
                    early += loss / 10;
                } else if (i >= 50) {
                    late += loss / 10;
                }
            }
            assertTrue(late < 0.6 * early, "loss should fall: first 10 steps " + early + ", last 10 " + late);
        });
    }

    @Test
    void aNanLossStopsTrainingAndKeepsTheLastCheckpoint() throws IOException {
        Path ckpt = dir.resolve("last.safetensors");
        TrainingData clean = TinySetup.data();
        int[] calls = {0};
        TrainingData poisoned = new TrainingData() {
            @Override
            public int size() {
                return clean.size();
            }

            @Override
            public Batch batch(int[] indices) {
                Batch b = clean.batch(indices);
                return ++calls[0] < 3 ? b : new Batch(b.images().mul(Float.NaN), b.labels());
            }
        };
        SCALAR.run(() -> {
            Trainer trainer = new Trainer(TinySetup.unet(2), TinySetup.config(5), poisoned);
            trainer.step();
            trainer.step();
            try {
                CheckpointFiles.save(trainer, ckpt);
            } catch (IOException e) {
                throw new AssertionError(e);
            }
            Map<String, Tensor> before = trainer.model().stateDict();
            TrainingDivergedException e = assertThrows(TrainingDivergedException.class, trainer::step);
            assertTrue(e.getMessage().contains("NaN") && e.getMessage().contains("step 3"), e.getMessage());
            assertEquals(2, trainer.completedSteps());
            assertSameWeights(before, trainer.model().stateDict());
        });
        byte[] saved = Files.readAllBytes(ckpt);
        Trainer reloaded = SCALAR.call(() -> {
            try {
                return CheckpointFiles.resume(ckpt, clean, 0);
            } catch (IOException e) {
                throw new AssertionError(e);
            }
        });
        assertEquals(2, reloaded.completedSteps());
        assertTrue(saved.length > 1000);
    }

    @Test
    void aCheckpointWithAMissingKeyNamesIt() throws IOException {
        Path ckpt = dir.resolve("broken.safetensors");
        SCALAR.run(() -> {
            Trainer t = new Trainer(TinySetup.unet(3), TinySetup.config(2), TinySetup.data());
            t.step();
            try {
                CheckpointFiles.save(t, ckpt);
                var f = org.minidiffusion.io.Safetensors.read(ckpt);
                var tensors = new java.util.LinkedHashMap<>(f.tensors());
                tensors.remove("model.conv_in.weight");
                org.minidiffusion.io.Safetensors.write(ckpt, tensors, f.metadata());
            } catch (IOException e) {
                throw new AssertionError(e);
            }
        });
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SCALAR.call(() -> {
                    try {
                        return CheckpointFiles.resume(ckpt, TinySetup.data(), 0);
                    } catch (IOException io) {
                        throw new AssertionError(io);
                    }
                }));
        assertTrue(e.getMessage().contains("conv_in.weight"), e.getMessage());
    }
}
