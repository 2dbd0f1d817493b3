package org.minidiffusion.demos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The progress report: plain lines when redirected, one redrawn line on a terminal. */
class ProgressBarTests {
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
    private long now;

    private String text() {
        return bytes.toString(StandardCharsets.UTF_8);
    }

    @Test
    void withoutATerminalItPrintsALineEveryNUnitsAndAfterTheLast() {
        ProgressBar bar = new ProgressBar(out, false, "step", 10, 4, () -> now);
        for (int i = 1; i <= 10; i++) {
            bar.update(i, 2.0, "loss 0.5000");
        }
        List<String> lines = text().lines().toList();
        assertEquals(List.of("step  4/10  loss 0.5000  ETA 12s", "step  8/10  loss 0.5000  ETA 4s",
                "step 10/10  loss 0.5000  done"), lines);
        assertFalse(text().contains("\r"));
    }

    @Test
    void onATerminalItRedrawsOneLineAtMostTenTimesASecond() {
        ProgressBar bar = new ProgressBar(out, true, "step", 4, 1, () -> now);
        bar.update(1, 1.0, "a longer field");
        now += 10_000_000L; // 10 ms later: skipped
        bar.update(2, 1.0, "x");
        now += 200_000_000L;
        bar.update(3, 1.0, "x");
        bar.println("a message");
        bar.update(4, 1.0, "x");
        String t = text();
        assertTrue(t.startsWith("\rstep [#####---------------] 1/4  a longer field  ETA 3s"), t);
        assertFalse(t.contains("2/4"), "throttled: " + t);
        assertTrue(t.contains("\rstep [###############-----] 3/4  x  ETA 1s"), t);
        assertTrue(t.contains("a message" + System.lineSeparator()), t);
        assertTrue(t.endsWith("\rstep [####################] 4/4  x  done" + System.lineSeparator()), t);
    }

    @Test
    void durationsAreShort() {
        assertEquals("45s", ProgressBar.duration(44.6));
        assertEquals("12m 05s", ProgressBar.duration(725));
        assertEquals("3h 07m", ProgressBar.duration(3 * 3600 + 7 * 60 + 30));
        assertEquals("?", ProgressBar.duration(Double.NaN));
        assertEquals(1, ProgressBar.every(3, 20));
        assertEquals(50, ProgressBar.every(1000, 20));
    }
}
