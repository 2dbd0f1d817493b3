package org.minidiffusion.demos;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.minidiffusion.core.api.Backends;
import org.minidiffusion.core.api.Tensor;
import org.minidiffusion.diffusion.train.TrainConfig;
import org.minidiffusion.diffusion.train.TrainingData;
import org.minidiffusion.io.FashionMnist;
import org.minidiffusion.io.Safetensors;
import org.minidiffusion.io.SafetensorsFile;

/**
 * Every failure a user can cause is one line on standard error and exit code 1, with the stack
 * trace only under {@code --verbose}; damaged files are refused with a message naming them.
 */
class CliErrorTests {
    @TempDir
    Path dir;

    private static void assertOneLineError(DemoRun run) {
        assertOneLineError(run, 1);
    }

    /** Asserts one {@code error:} line and no stack trace; {@code code} is 2 for a bad command line. */
    private static void assertOneLineError(DemoRun run, int code) {
        assertEquals(code, run.code(), run.toString());
        assertTrue(run.err().startsWith("error: "), run.toString());
        assertEquals(1, run.err().lines().count(), "one line on stderr\n" + run);
        assertFalse(run.hasStackTrace(), run.toString());
    }

    @Test
    void aBadOptionIsOneLineWithoutTheUsage() {
        DemoRun run = DemoRun.of("mlp", "--epochs", "3");
        assertOneLineError(run, 2);
        assertEquals("error: unknown option '--epochs' for 'mlp' (see 'minidiffusion mlp --help')"
                + System.lineSeparator(), run.err());
        assertEquals("", run.out());
    }

    @Test
    void verboseAddsTheStackTraceAnywhereOnTheCommandLine() {
        Path missing = dir.resolve("absent.safetensors");
        DemoRun quiet = DemoRun.of("generate", "--model", missing.toString());
        assertOneLineError(quiet);
        for (List<String> args : List.of(List.of("--verbose", "generate", "--model", missing.toString()),
                List.of("generate", "--model", missing.toString(), "--verbose"))) {
            DemoRun verbose = DemoRun.of(args.toArray(String[]::new));
            assertEquals(1, verbose.code(), verbose.toString());
            assertTrue(verbose.err().startsWith(quiet.err()), "the same first line\n" + verbose);
            assertTrue(verbose.err().contains("\tat org.minidiffusion.demos."), "a stack trace\n" + verbose);
        }
    }

    @Test
    void generateRefusesNanWeightsInsteadOfWritingABlackImage() throws IOException {
        Path model = dir.resolve("nan.safetensors");
        DemoRun.writeMicroModel(model, 1);
        rewrite(model, tensors -> poison(tensors, "conv_out.bias", Float.NaN), meta -> meta);
        Path png = dir.resolve("grid.png");
        DemoRun run = DemoRun.of("generate", "--model", model.toString(), "--count", "2", "--steps", "1",
                "--out", png.toString());
        assertOneLineError(run);
        assertTrue(run.err().startsWith("error: " + model + " is not a usable model file: 'conv_out.bias' = '["),
                run.toString());
        assertTrue(run.err().contains("] = NaN': every stored value must be finite; 1 non-finite value"), run.toString());
        assertFalse(Files.exists(png), "no image written");
    }

    @Test
    void generateRefusesInfiniteWeights() throws IOException {
        Path model = dir.resolve("inf.safetensors");
        DemoRun.writeMicroModel(model, 1);
        rewrite(model, tensors -> poison(tensors, "conv_in.weight", Float.NEGATIVE_INFINITY), meta -> meta);
        DemoRun run = DemoRun.of("generate", "--model", model.toString(), "--count", "2", "--steps", "1",
                "--out", dir.resolve("grid.png").toString());
        assertOneLineError(run);
        assertTrue(run.err().contains("'conv_in.weight' = '["), run.toString());
        assertTrue(run.err().contains("] = -Infinity': every stored value must be finite; 1 non-finite value"),
                run.toString());
    }

    @Test
    void trainTimestepsOutOfRangeNamesTheFileAndTheKeyNotSteps() throws IOException {
        for (String value : new String[] {"0", "2000000000", "many"}) {
            Path model = dir.resolve("t" + value + ".safetensors");
            DemoRun.writeMicroModel(model, 1);
            rewrite(model, tensors -> tensors, meta -> with(meta, "train_timesteps", value));
            DemoRun run = DemoRun.of("generate", "--model", model.toString(), "--count", "2", "--steps", "1",
                    "--out", dir.resolve("grid.png").toString());
            assertOneLineError(run);
            assertEquals("error: " + model + " is not a usable model file: 'train_timesteps' = '"
                    + value + "': must be an integer in [2, " + TrainConfig.MAX_TRAIN_TIMESTEPS + "]"
                    + System.lineSeparator(), run.err());
        }
    }

    @Test
    void anArchitectureThatCannotBeBuiltIsOneLineNamingTheFile() throws IOException {
        Path model = dir.resolve("groups.safetensors");
        DemoRun.writeMicroModel(model, 1);
        rewrite(model, tensors -> tensors, meta -> with(meta, "groups", "0"));
        DemoRun run = DemoRun.of("generate", "--model", model.toString(), "--count", "2", "--steps", "1",
                "--out", dir.resolve("grid.png").toString());
        assertOneLineError(run);
        assertTrue(run.err().startsWith("error: " + model + " is not a usable model file"), run.toString());
    }

    @Test
    void aBinaryLossTableNamesTheFileAndTheLine() throws IOException {
        Path out = dir.resolve("run");
        DemoRun first = DemoRun.of("train", "--out", out.toString(), "--data", DemoRun.DATA.toString(), "--split", "t10k",
                "--sample-steps", "1", "--model", "micro", "--steps", "1", "--batch", "2");
        assertEquals(0, first.code(), first.toString());
        Path csv = out.resolve(TrainCommand.LOSSES_CSV);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        bytes.writeBytes("step,loss\n1,0.5\n".getBytes(StandardCharsets.UTF_8));
        bytes.writeBytes(new byte[] {(byte) 0xff, (byte) 0xfe, 0, 7, (byte) 0xc3, '\n'});
        Files.write(csv, bytes.toByteArray());
        byte[] checkpoint = Files.readAllBytes(out.resolve(TrainCommand.CHECKPOINT));

        DemoRun resumed = DemoRun.of("train", "--out", out.toString(), "--resume", "--steps", "2", "--sample-steps", "1");
        assertEquals(1, resumed.code(), resumed.toString());
        String error = resumed.err().lines().filter(l -> l.startsWith("error: ")).findFirst().orElse("");
        assertTrue(error.startsWith("error: " + csv + ": line 3 is not UTF-8 text"), resumed.toString());
        assertTrue(error.contains("delete it"), "says what to do\n" + resumed);
        assertEquals(1, resumed.err().lines().count(), resumed.toString());
        assertFalse(resumed.hasStackTrace(), resumed.toString());
        assertArrayEquals(checkpoint, Files.readAllBytes(out.resolve(TrainCommand.CHECKPOINT)), "checkpoint untouched");
    }

    @Test
    void aBadStepCounterInACheckpointIsOneLineWithoutAStackTrace() throws IOException {
        Path out = dir.resolve("run");
        DemoRun first = DemoRun.of("train", "--out", out.toString(), "--data", DemoRun.DATA.toString(), "--split", "t10k",
                "--sample-steps", "1", "--model", "micro", "--steps", "1", "--batch", "2");
        assertEquals(0, first.code(), first.toString());
        rewrite(out.resolve(TrainCommand.CHECKPOINT), tensors -> tensors, meta -> with(meta, "completed_steps", "-5"));
        DemoRun resumed = DemoRun.of("train", "--out", out.toString(), "--resume", "--steps", "3", "--sample-steps", "1");
        assertEquals(1, resumed.code(), resumed.toString());
        assertTrue(resumed.err().startsWith("error: "), resumed.toString());
        assertEquals(1, resumed.err().lines().count(), "one line on stderr\n" + resumed);
        assertFalse(resumed.err().contains("\tat "), resumed.toString());
        DemoRun verbose = DemoRun.of("train", "--out", out.toString(), "--resume", "--steps", "3", "--sample-steps", "1",
                "--verbose");
        assertEquals(1, verbose.code(), verbose.toString());
        assertTrue(verbose.err().contains("\tat org.minidiffusion."), "a stack trace\n" + verbose);
    }

    @Test
    void backendOptionUsesTheBackendForTheCommandWithoutASystemProperty() throws IOException {
        String before = System.getProperty(Backends.PROPERTY);
        Path model = dir.resolve("m.safetensors");
        DemoRun.writeMicroModel(model, 1);
        DemoRun run = DemoRun.of("generate", "--model", model.toString(), "--count", "2", "--steps", "1",
                "--out", dir.resolve("grid.png").toString(), "--backend", "scalar");
        assertEquals(0, run.code(), run.toString());
        assertTrue(run.out().startsWith("using backend 'scalar' ("), run.toString());
        assertTrue(run.out().lines().findFirst().orElse("").endsWith("chosen by --backend"), run.toString());
        assertTrue(run.out().contains("on backend 'scalar'"), "the command ran on it\n" + run);
        assertEquals(before, System.getProperty(Backends.PROPERTY), "no global property written");
    }

    @Test
    void theFashionMnistAdapterGivesTheSplitsImagesAndLabels() throws IOException {
        FashionMnist split = FashionMnist.load(DemoRun.DATA, FashionMnist.TEST_SPLIT);
        TrainingData data = new FashionMnistData(split);
        assertEquals(split.size(), data.size());
        int[] indices = {7, 0, 7, split.size() - 1};
        TrainingData.Batch batch = data.batch(indices);
        for (int i = 0; i < indices.length; i++) {
            assertEquals(split.label(indices[i]), batch.labels()[i]);
        }
        assertArrayEquals(split.batch(indices).images().toArray(), batch.images().toArray(), 0f);
        assertArrayEquals(new int[] {4, 1, 28, 28}, batch.images().shape().toArray());
    }

    private static void rewrite(Path file, UnaryOperator<Map<String, Tensor>> tensors,
                                UnaryOperator<Map<String, String>> metadata) throws IOException {
        SafetensorsFile f = Safetensors.read(file);
        Safetensors.write(file, tensors.apply(new LinkedHashMap<>(f.tensors())),
                metadata.apply(new LinkedHashMap<>(f.metadata())));
    }

    private static Map<String, Tensor> poison(Map<String, Tensor> tensors, String key, float value) {
        Tensor t = tensors.get(key);
        float[] values = t.toArray();
        values[values.length - 1] = value;
        tensors.put(key, Tensor.of(values, t.shape().toArray()));
        return tensors;
    }

    private static Map<String, String> with(Map<String, String> meta, String key, String value) {
        meta.put(key, value);
        return meta;
    }
}
