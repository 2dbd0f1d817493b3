package org.minidiffusion.diffusion.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.minidiffusion.core.api.Backend;
import org.minidiffusion.core.api.Backends;
import org.minidiffusion.core.api.Parameter;
import org.minidiffusion.core.api.Tensor;
import org.minidiffusion.diffusion.InvalidFieldException;
import org.minidiffusion.io.Safetensors;
import org.minidiffusion.io.SafetensorsFile;

/**
 * A checkpoint is checked field by field where it is read, and no save writes a NaN: the
 * reproductions of corrupted checkpoints that once resumed, crashed later or poisoned the files.
 */
class CheckpointValidationTests {
    private static final Backend SCALAR = Backends.get("scalar");

    @TempDir
    Path dir;

    /** A checkpoint after two steps of the tiny setup (so the optimiser has its moments). */
    private Path checkpoint() {
        Path file = dir.resolve("checkpoint.safetensors");
        SCALAR.run(() -> {
            Trainer t = new Trainer(TinySetup.unet(3), TinySetup.config(6), TinySetup.data());
            t.step();
            t.step();
            try {
                CheckpointFiles.save(t, file);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        return file;
    }

    /** Rewrites a checkpoint with changed metadata and tensors. */
    private static Path edit(Path file, Consumer<Map<String, String>> metadata, Consumer<Map<String, Tensor>> tensors)
            throws IOException {
        SafetensorsFile f = Safetensors.read(file);
        Map<String, String> meta = new LinkedHashMap<>(f.metadata());
        Map<String, Tensor> ts = new LinkedHashMap<>(f.tensors());
        metadata.accept(meta);
        tensors.accept(ts);
        Safetensors.write(file, ts, meta);
        return file;
    }

    private static InvalidFieldException refusedResume(Path file) {
        return assertThrows(InvalidFieldException.class, () -> SCALAR.call(() -> {
            try {
                return CheckpointFiles.resume(file, TinySetup.data(), 0);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }));
    }

    private static void assertNames(InvalidFieldException e, Path file, String key, String value) {
        String m = e.getMessage();
        assertTrue(m.startsWith(file.toString()) && m.contains("'" + key + "'") && m.contains(value), m);
        assertEquals(key, e.field());
        assertFalse(m.contains("\n"), "one line: " + m);
    }

    @ParameterizedTest
    @CsvSource({
            "train.weight_decay, NaN, finite",
            "train.weight_decay, Infinity, finite",
            "train.learning_rate, -Infinity, finite",
            "train.ema_decay, NaN, '[0.0, 1.0)'",
            "train.grad_clip, 1e30, finite",
            "groups, 0, '[1, 8192]'",
            "groups, 3, divide",
            "heads, 0, '[1, 8192]'",
            "channel_mults, '1,0', '[1, 8192]'",
            "base_channels, 100000, '[1, 8192]'",
            "completed_steps, -5, '[0, 6]'",
            "completed_steps, 7, '[0, 6]'",
            "train_timesteps, 0, '[2, 100000]'",
            "train_timesteps, 2000000000, '[2, 100000]'",
            "train.batch_size, 2147483648, integer",
            "prediction_type, noise, 'one of [epsilon, v_prediction, sample]'",
    })
    void aCorruptedMetadataFieldIsRefusedNamingTheFileKeyValueAndRange(String key, String value, String allowed)
            throws IOException {
        Path file = edit(checkpoint(), m -> m.put(key, value), t -> { });
        InvalidFieldException e = refusedResume(file);
        assertNames(e, file, key, "'" + value + "'");
        assertTrue(e.getMessage().contains(allowed), e.getMessage());
    }

    @Test
    void aMissingKeyIsNamed() throws IOException {
        Path file = edit(checkpoint(), m -> m.remove("completed_steps"), t -> { });
        assertNames(refusedResume(file), file, "completed_steps", "lacks");
    }

    @ParameterizedTest
    @CsvSource({"1", "3"})
    void anOptimizerMomentOfTheWrongShapeIsRefused(int size) throws IOException {
        String key = "optim.m.conv_in.weight";
        Path file = edit(checkpoint(), m -> { }, t -> t.put(key, Tensor.zeros(size)));
        InvalidFieldException e = refusedResume(file);
        assertNames(e, file, key, "shape (" + size + ")");
        assertTrue(e.getMessage().contains("must have shape (8, 1, 3, 3)"), e.getMessage());
    }

    @Test
    void anEmaWeightOfTheWrongShapeIsRefused() throws IOException {
        Path file = edit(checkpoint(), m -> { }, t -> t.put("ema.conv_out.bias", Tensor.zeros(3)));
        assertNames(refusedResume(file), file, "ema.conv_out.bias", "shape (3)");
    }

    @ParameterizedTest
    @CsvSource({"-1", "2.5", "3", "NaN"})
    void aNegativeFractionalOrTooLargeOptimizerStepCountIsRefused(float steps) throws IOException {
        Path file = edit(checkpoint(), m -> { }, t -> t.put("optim.steps", Tensor.scalar(steps)));
        InvalidFieldException e = refusedResume(file);
        assertNames(e, file, "optim.steps", Float.toString(steps));
        assertTrue(e.getMessage().contains("[0, completed_steps = 2]"), e.getMessage());
    }

    @Test
    void aNegativeSecondMomentIsRefused() throws IOException {
        Path file = edit(checkpoint(), m -> { },
                t -> t.put("optim.v.time_linear1.bias", t.get("optim.v.time_linear1.bias").mul(-1f).sub(1f)));
        assertNames(refusedResume(file), file, "optim.v.time_linear1.bias", ">= 0");
    }

    @ParameterizedTest
    @CsvSource({"model.conv_in.weight", "ema.mid_attn.norm.weight", "optim.m.conv_out.weight", "optim.v.down.0.res.0.conv1.bias"})
    void aNonFiniteStoredValueIsRefused(String key) throws IOException {
        Path file = edit(checkpoint(), m -> { }, t -> {
            float[] v = t.get(key).toArray();
            v[v.length - 1] = Float.NaN;
            t.put(key, Tensor.of(v, t.get(key).shape().toArray()));
        });
        InvalidFieldException e = refusedResume(file);
        assertNames(e, file, key, "= NaN");
        assertTrue(e.getMessage().contains("1 non-finite value in 1 tensor"), e.getMessage());
    }

    @Test
    void aSmallFileDeclaringAHugeNetworkIsRefusedBeforeAllocating() throws IOException {
        Path file = edit(checkpoint(), m -> {
            m.put("base_channels", "4096");
            m.put("channel_mults", "2,2");
            m.put("groups", "4");
        }, t -> { });
        InvalidFieldException e = refusedResume(file);
        assertTrue(e.getMessage().contains("the architecture in the metadata has"), e.getMessage());
    }

    /**
     * A weight that no batch reaches (the class embedding of a class the data never shows) turns
     * NaN without touching the loss; it reaches the EMA, and neither a checkpoint nor a model may
     * be made from it.
     */
    @Test
    void nanWeightsThatTheLossDoesNotSeeAreNeverSavedAndTheLastFilesStayAsTheyWere() throws IOException {
        Path file = checkpoint();
        byte[] good = Files.readAllBytes(file);
        SCALAR.run(() -> {
            Trainer t;
            try {
                t = CheckpointFiles.resume(file, TinySetup.data(), 0);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            Parameter table = t.model().parameters().get("class_embed.weight"); // (classes + 1, T)
            float[] rows = table.value().toArray();
            int width = table.shape().size(1);
            // the null class's row (3): no batch reads it when no label is dropped
            for (int i = 3 * width; i < 4 * width; i++) {
                rows[i] = Float.NaN;
            }
            table.set(Tensor.of(rows, table.shape().toArray()));
            TrainConfig noDrop = new TrainConfig(6, 4, 3e-3f, 2, 0.01f, 1f, 0.9f, 0f, 11L,
                    t.config().prediction(), t.config().betaSchedule(), t.config().trainTimesteps());
            Trainer poisoned = new Trainer(t.model(), noDrop, TinySetup.data());
            Trainer.StepResult r = poisoned.step();
            assertTrue(Double.isFinite(r.loss()), "the loss does not see the null class: " + r.loss());
            TrainingDivergedException save = assertThrows(TrainingDivergedException.class,
                    () -> CheckpointFiles.save(poisoned, file));
            assertTrue(save.getMessage().contains("not saving " + file) && save.getMessage().contains("NaN")
                    && save.getMessage().contains("class_embed.weight"), save.getMessage());
            TrainingDivergedException model = assertThrows(TrainingDivergedException.class, poisoned::emaModel);
            assertTrue(model.getMessage().contains("EMA") && model.getMessage().contains("ema.class_embed.weight"),
                    model.getMessage());
        });
        assertArrayEquals(good, Files.readAllBytes(file), "the last good checkpoint is as it was");
    }
}
