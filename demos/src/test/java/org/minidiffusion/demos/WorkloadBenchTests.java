package org.minidiffusion.demos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The workload benchmark's output format and command line; its timings are not tested. */
class WorkloadBenchTests {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(String... args) {
        return Demos.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    private String err() {
        return err.toString(StandardCharsets.UTF_8);
    }

    @Test
    void jsonKeepsRowOrderAndNamesAndTheReasonsForSkippedRows() {
        Map<String, Double> rows = new LinkedHashMap<>();
        rows.put(WorkloadBench.SGEMM, 12.5);
        rows.put(WorkloadBench.FORWARD, 3.0);
        Map<String, String> skipped = new LinkedHashMap<>();
        skipped.put(WorkloadBench.DDIM, "not run: --skip-ddim");
        skipped.put(WorkloadBench.scaleRow(16, 64), "a \"quoted\" reason");
        var result = new WorkloadBench.Result("scalar", WorkloadBench.Timing.SINGLE, 1024.0, rows, skipped);
        assertEquals("{\"backend\": \"scalar\", \"timing\": \"single\", \"max heap (MiB)\": 1024.0, "
                + "\"rows\": {\"sgemm 512x512x512 (GFLOP/s)\": 12.5, \"U-Net forward, batch 4 (ms)\": 3.0}, "
                + "\"skipped\": {\"DDIM 50 steps, 4 images (s)\": \"not run: --skip-ddim\", "
                + "\"U-Net forward, batch 16, 64x64 (ms)\": \"a \\\"quoted\\\" reason\"}}", WorkloadBench.json(result));
    }

    @Test
    void theScaleRowsAreNamedAsThePythonScriptExpects() {
        assertEquals("U-Net forward, batch 1, 32x32 (ms)", WorkloadBench.scaleRow(1, 32));
    }

    @Test
    void theBenchmarkUNetHasTheIssuesArchitecture() {
        var c = WorkloadBench.benchUNet(32);
        assertEquals(3, c.inChannels());
        assertEquals(64, c.baseChannels());
        assertEquals(java.util.List.of(1, 2, 4), java.util.Arrays.stream(c.channelMults()).boxed().toList());
        assertEquals(java.util.Set.of(8), c.attentionRes());
        assertEquals(32, c.groups());
    }

    @Test
    void everyRowNameIsSpelledTheSameInThePythonScript() throws IOException {
        String script = Files.readString(Path.of("..").toAbsolutePath().normalize().resolve("tools/bench_torch.py"));
        for (String row : List.of(WorkloadBench.SGEMM, WorkloadBench.CONV, WorkloadBench.FORWARD, WorkloadBench.TRAIN,
                WorkloadBench.TRAIN_ALLOCATION, WorkloadBench.DDIM, WorkloadBench.PEAK_RSS,
                WorkloadBench.MMDIT_BLOCK_FORWARD, WorkloadBench.MMDIT_BLOCK_TRAIN, WorkloadBench.MMDIT_FORWARD,
                WorkloadBench.MMDIT_TRAIN, WorkloadBench.MMDIT_TRAIN_ALLOCATION,
                WorkloadBench.CLIP_FORWARD, WorkloadBench.T5_FORWARD)) {
            assertTrue(script.contains(" = \"" + row + "\"\n"), "tools/bench_torch.py does not name the row: " + row);
        }
    }

    @Test
    void theTransformerRowsHaveTheStatedSizes() {
        var m = WorkloadBench.smallMmdit();
        assertEquals(List.of(8, 2, 4, 4, 32, 2, 64, 64, 64, 4), List.of(m.sampleSize(), m.patchSize(), m.inChannels(),
                m.numLayers(), m.attentionHeadDim(), m.numAttentionHeads(), m.jointAttentionDim(),
                m.captionProjectionDim(), m.pooledProjectionDim(), m.outChannels()));
        assertEquals("rms_norm", m.qkNorm());
        var clip = WorkloadBench.smallClip();
        assertEquals(List.of(64, 256, 2, 2, 16), List.of(clip.hiddenSize(), clip.intermediateSize(),
                clip.numHiddenLayers(), clip.numAttentionHeads(), clip.maxPositionEmbeddings()));
        var t5 = WorkloadBench.smallT5();
        assertEquals(List.of(64, 32, 256, 2, 2), List.of(t5.dModel(), t5.dKv(), t5.dFf(), t5.numLayers(), t5.numHeads()));
        assertEquals(16, WorkloadBench.TRANSFORMER_BATCH);
        assertEquals(16, WorkloadBench.TEXT_TOKENS);
    }

    @Test
    void anUnknownOptionIsAUsageErrorWithASuggestion() {
        assertEquals(2, run("bench-model", "--main-onyl"));
        assertEquals("error: unknown option '--main-onyl' for 'bench-model'; did you mean '--main-only'? "
                + "(see 'minidiffusion bench-model --help')" + System.lineSeparator(), err());
    }

    @Test
    void anUnknownTimingIsAUsageError() {
        assertEquals(2, run("bench-model", "--timing", "fast"));
        assertTrue(err().startsWith("error: --timing of 'bench-model' must be one of best, single, got 'fast'"), err());
    }

    @Test
    void aBudgetMustBeAPositiveNumberOfSeconds() {
        assertEquals(2, run("bench-model", "--budget", "0"));
        assertTrue(err().startsWith("error: --budget of 'bench-model' needs an integer in [1, 604800], got '0'"), err());
        assertEquals(2, run("bench-model", "--budget", "15m"));
        assertTrue(err().contains("error: --budget of 'bench-model' needs an integer in [1, 604800], got '15m'"), err());
    }

    @Test
    void skipDdimTakesNoValue() {
        assertEquals(2, run("bench-model", "--skip-ddim=yes"));
        assertTrue(err().startsWith("error: option '--skip-ddim' takes no value"), err());
    }
}
