package org.minidiffusion.demos;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.minidiffusion.core.api.Backend;
import org.minidiffusion.core.api.Backends;

/** Trains the MLP demo in-process with its default settings. */
class MlpDemoTests {

    @Test
    void defaultSettingsLearnTheSpiralsOnTheScalarBackend() {
        assertLearns(Backends.get("scalar"));
    }

    @Test
    void defaultSettingsLearnTheSpiralsOnTheParallelBackend() {
        assumeTrue(Backends.available().stream().anyMatch(b -> b.id().equals("parallel")),
                "the parallel backend is not on the test class path");
        assertLearns(Backends.get("parallel"));
    }

    @Test
    void theSameSeedGivesTheSameLosses() {
        Backend scalar = Backends.get("scalar");
        MlpDemo.Config config = new MlpDemo.Config(10, 7, MlpDemo.DEFAULT_LR, 5);
        double[] first = scalar.call(() -> MlpDemo.train(config, quiet())).losses();
        double[] second = scalar.call(() -> MlpDemo.train(config, quiet())).losses();
        assertArrayEquals(first, second);
        assertEquals(11, first.length, "one loss before each step and one after the last");
    }

    private static void assertLearns(Backend backend) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        MlpDemo.Result result = backend.call(() -> MlpDemo.train(MlpDemo.Config.defaults(), out));
        String log = bytes.toString(StandardCharsets.UTF_8);

        double first = result.firstLoss();
        double last = result.lastLoss();
        assertTrue(Math.abs(first - Math.log(2)) < 0.1, "an untrained 2-class model has a loss near ln 2, got "
                + first + "\n" + log);
        assertTrue(last < 0.1, "the loss should fall below 0.1, got " + last + "\n" + log);
        assertTrue(last < first / 5, "the loss should fall substantially\n" + log);
        assertTrue(result.accuracy() > 0.95, "accuracy should exceed 95%, got " + result.accuracy() + "\n" + log);
        assertTrue(log.contains("step    0  loss"), log);
        assertTrue(log.contains("training accuracy"), log);
    }

    private static PrintStream quiet() {
        return new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
    }
}
