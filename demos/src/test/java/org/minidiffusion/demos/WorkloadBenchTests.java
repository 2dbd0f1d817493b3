package org.minidiffusion.demos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The workload benchmark's output format and command line; its timings are not tested. */
class WorkloadBenchTests {

    @Test
    void jsonKeepsRowOrderAndNames() {
        Map<String, Double> rows = new LinkedHashMap<>();
        rows.put("sgemm 512x512x512 (GFLOP/s)", 12.5);
        rows.put("U-Net forward, batch 4 (ms)", 3.0);
        assertEquals("{\"sgemm 512x512x512 (GFLOP/s)\": 12.5, \"U-Net forward, batch 4 (ms)\": 3.0}",
                WorkloadBench.json(rows));
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
    void anUnknownOptionIsAUsageError() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Demos.run(new String[] {"bench-model", "--fast"}, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        assertEquals(2, code);
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("--fast"), err.toString(StandardCharsets.UTF_8));
    }
}
