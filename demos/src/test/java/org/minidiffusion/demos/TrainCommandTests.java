package org.minidiffusion.demos;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.minidiffusion.core.api.Tensor;
import org.minidiffusion.io.Images;
import org.minidiffusion.io.Safetensors;
import org.minidiffusion.io.SafetensorsFile;

/** The train command, run in-process with the micro U-Net for a few steps. */
class TrainCommandTests {
    @TempDir
    Path dir;

    private DemoRun train(Path out, String... more) {
        List<String> args = new java.util.ArrayList<>(List.of("train", "--out", out.toString(), "--data",
                DemoRun.DATA.toString(), "--split", "t10k", "--sample-steps", "1"));
        args.addAll(List.of(more));
        return DemoRun.of(args.toArray(String[]::new));
    }

    @Test
    void aShortRunWritesACheckpointSamplesALossCurveAndAModelAndResumes() throws IOException {
        Path out = dir.resolve("run");
        DemoRun first = train(out, "--model", "micro", "--steps", "3", "--batch", "4", "--seed", "5");
        assertEquals(0, first.code(), first.toString());
        assertTrue(DemoRun.files(out).containsAll(List.of(TrainCommand.CHECKPOINT, TrainCommand.MODEL,
                TrainCommand.LOSS_PNG, TrainCommand.LOSSES_CSV, TrainCommand.RUN_INFO, TrainCommand.SAMPLES)), first.toString());
        assertTrue(first.out().contains("step 3/3  loss "), "plain progress lines\n" + first);
        assertTrue(first.out().contains("img/s"), first.toString());
        assertTrue(first.out().contains(out.resolve(TrainCommand.MODEL).toString()), "says where the model goes\n" + first);

        Tensor grid = Images.readPng(out.resolve(TrainCommand.SAMPLES).resolve("step-000003.png"));
        assertArrayEquals(new int[] {1, 10 * 30 + 2, TrainCommand.SAMPLE_COLUMNS * 30 + 2}, grid.shape().toArray(),
                "one row of 8 per class");
        assertEquals(3, completedSteps(out.resolve(TrainCommand.CHECKPOINT)));
        ModelFile.Model model = ModelFile.read(out.resolve(TrainCommand.MODEL));
        assertEquals(3, model.completedSteps());
        assertEquals(ModelSize.MICRO.config(28, 1, 10), model.unet().config());
        assertEquals("micro", model.metadata().get("model_size"));
        assertEquals(4, losses(out).size());
        DemoRun.assertLossChart(out.resolve(TrainCommand.LOSS_PNG), out.resolve(TrainCommand.LOSSES_CSV),
                "train: loss per step", TrainCommand.LOSS_PLOT_WIDTH, TrainCommand.LOSS_PLOT_HEIGHT);

        DemoRun resumed = train(out, "--resume", "--steps", "5");
        assertEquals(0, resumed.code(), resumed.toString());
        assertTrue(resumed.out().contains("resuming " + out.resolve(TrainCommand.CHECKPOINT) + " at step 3 of 5"),
                resumed.toString());
        assertEquals(5, completedSteps(out.resolve(TrainCommand.CHECKPOINT)));
        assertEquals(5, ModelFile.read(out.resolve(TrainCommand.MODEL)).completedSteps());
        List<String> lines = losses(out);
        assertEquals(6, lines.size(), "a header and one line per step: " + lines);
        assertTrue(Files.exists(out.resolve(TrainCommand.SAMPLES).resolve("step-000005.png")));

        DemoRun done = train(out, "--resume");
        assertEquals(1, done.code(), done.toString());
        assertTrue(done.err().startsWith("error: the run in " + out + " has finished its 5 steps"), done.toString());
    }

    @Test
    void aNewRunDoesNotOverwriteAnExistingOne() throws IOException {
        Path out = dir.resolve("run");
        Files.createDirectories(out);
        Files.writeString(out.resolve(TrainCommand.CHECKPOINT), "precious");
        DemoRun run = train(out, "--model", "micro", "--steps", "2");
        assertEquals(1, run.code(), run.toString());
        assertTrue(run.err().contains("already holds a training run") && run.err().contains("--resume"), run.toString());
        assertEquals("precious", Files.readString(out.resolve(TrainCommand.CHECKPOINT)));
        assertFalse(run.hasStackTrace(), run.toString());
    }

    @Test
    void resumingWithoutACheckpointIsAClearError() {
        DemoRun run = train(dir.resolve("empty"), "--resume");
        assertEquals(1, run.code(), run.toString());
        assertTrue(run.err().startsWith("error: --resume: there is no checkpoint "), run.toString());
    }

    @Test
    void aCheckpointWithANanWeightIsRefusedInOneLineAndLeftIntact() throws IOException {
        Path out = dir.resolve("run");
        assertEquals(0, train(out, "--model", "micro", "--steps", "1", "--batch", "2").code());
        Path checkpoint = out.resolve(TrainCommand.CHECKPOINT);
        SafetensorsFile f = Safetensors.read(checkpoint);
        Map<String, Tensor> poisoned = new LinkedHashMap<>(f.tensors());
        Tensor bias = poisoned.get("model.conv_out.bias");
        poisoned.put("model.conv_out.bias", bias.add(Float.NaN));
        Safetensors.write(checkpoint, poisoned, f.metadata());
        byte[] before = Files.readAllBytes(checkpoint);

        DemoRun run = train(out, "--resume", "--steps", "3");
        assertEquals(1, run.code(), run.toString());
        // once this resumed and stopped at step 2 on a NaN loss; a NaN weight is now refused where it is read
        assertTrue(run.err().startsWith("error: " + checkpoint + " is not a usable training checkpoint:"
                + " 'model.conv_out.bias' = '[0] = NaN': every stored value must be finite"), run.toString());
        assertEquals(1, run.err().lines().count(), run.toString());
        assertFalse(run.hasStackTrace(), run.toString());
        assertArrayEquals(before, Files.readAllBytes(checkpoint), "the checkpoint is left as it was");
    }

    @Test
    void optionsThatTheCheckpointFixesCannotBeCombinedWithResume() {
        DemoRun run = DemoRun.of("train", "--resume", "--batch", "8");
        assertEquals(2, run.code(), run.toString());
        assertTrue(run.err().startsWith("error: --batch cannot be combined with --resume"), run.toString());
        DemoRun flag = DemoRun.of("train", "--resume=yes");
        assertEquals(2, flag.code(), flag.toString());
        assertTrue(flag.err().startsWith("error: option '--resume' takes no value"), flag.toString());
        DemoRun model = DemoRun.of("train", "--model", "huge");
        assertEquals(2, model.code(), model.toString());
        assertTrue(model.err().startsWith("error: --model of 'train' must be one of "), model.toString());
    }

    @Test
    void missingDataNamesTheFile() {
        Path nowhere = dir.resolve("no-data");
        DemoRun run = DemoRun.of("train", "--out", dir.resolve("run").toString(), "--data", nowhere.toString());
        assertEquals(1, run.code(), run.toString());
        assertTrue(run.err().contains(nowhere.resolve("t10k-images-idx3-ubyte").toString()), run.toString());
        assertFalse(run.hasStackTrace(), run.toString());
    }

    @Test
    void theSplitIsTrainOnlyForADirectoryThatHasIt() throws IOException {
        assertEquals("t10k", TrainCommand.defaultSplit(DemoRun.DATA, false));
        assertEquals("t10k", TrainCommand.defaultSplit(DemoRun.DATA, true));
        DemoRun.writeIdx(dir, "train", 2, 0);
        assertEquals("train", TrainCommand.defaultSplit(dir, true));
        assertEquals("t10k", TrainCommand.defaultSplit(dir, false));
    }

    @Test
    void theEmaDecaySuitsTheRunLength() {
        assertEquals(0.9f, TrainCommand.emaDecay(3));
        assertEquals(0.98f, TrainCommand.emaDecay(500), 1e-6f);
        assertEquals(0.999f, TrainCommand.emaDecay(50_000), 1e-6f);
    }

    private static long completedSteps(Path checkpoint) throws IOException {
        return Long.parseLong(Safetensors.read(checkpoint).metadata().get("completed_steps"));
    }

    private static List<String> losses(Path out) throws IOException {
        return Files.readAllLines(out.resolve(TrainCommand.LOSSES_CSV));
    }
}
