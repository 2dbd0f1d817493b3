package org.minidiffusion.demos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The progress of the training loops: the means over the last steps, and the lines on the console and in the log. */
class StepProgressTests {
    @Test
    void theMeansAreOverTheLastFiftySteps() {
        StepProgress p = new StepProgress(new PrintStream(new ByteArrayOutputStream()), null, 2);
        assertTrue(Double.isNaN(p.mean(0)), "no step yet");
        for (int i = 1; i <= 60; i++) {
            p.record(i * 1_000_000L, i, -2 * i);
        }
        assertEquals(35.5, p.mean(0), 1e-12, "steps 11 to 60");
        assertEquals(-71, p.mean(1), 1e-12);
        assertEquals(0.0355, p.secondsPerStep(), 1e-12);
        assertEquals(1830 * 1_000_000L, p.trainNanos(), "every step, not only the last 50");
    }

    @Test
    void linesAndProgressGoToTheConsoleAndTheLog() {
        ByteArrayOutputStream console = new ByteArrayOutputStream();
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        StepProgress p = new StepProgress(new PrintStream(console, true, StandardCharsets.UTF_8),
                new PrintStream(log, true, StandardCharsets.UTF_8), 1);
        p.line("plan");
        p.start(2);
        p.record(2_000_000_000L, 0.5);
        p.update(1, "loss 0.5000");
        p.line("step 1: saved");
        p.record(2_000_000_000L, 0.25);
        p.update(2, "loss 0.3750");
        p.stop();
        p.line("done");
        String n = System.lineSeparator();
        String expected = "plan" + n + "step 1/2  loss 0.5000  ETA 2s" + n + "step 1: saved" + n
                + "step 2/2  loss 0.3750  done" + n + "done" + n;
        assertEquals(expected, console.toString(StandardCharsets.UTF_8));
        assertEquals(expected, log.toString(StandardCharsets.UTF_8));
    }
}
