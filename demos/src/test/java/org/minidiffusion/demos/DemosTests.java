package org.minidiffusion.demos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Checks the launcher's handling of the command line, in-process. */
class DemosTests {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(String... args) {
        return Demos.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    private String out() {
        return out.toString(StandardCharsets.UTF_8);
    }

    private String err() {
        return err.toString(StandardCharsets.UTF_8);
    }

    @Test
    void noArgumentsPrintsTheUsage() {
        assertEquals(0, run());
        assertTrue(out().startsWith("usage:"), out());
        assertTrue(out().contains("mlp") && out().contains("bench") && out().contains("backends"), out());
        for (String command : new String[] {"train", "generate", "classifier-train", "evaluate"}) {
            assertTrue(out().contains("  " + command + " ["), command + "\n" + out());
        }
        assertTrue(out().contains("--backend <id>"), out());
        assertEquals("", err());
    }

    @Test
    void helpPrintsTheUsage() {
        assertEquals(0, run("help"));
        assertTrue(out().startsWith("usage:"), out());
    }

    @Test
    void anUnknownCommandIsOneLineAndExitCodeTwo() {
        assertEquals(2, run("fly"));
        assertEquals("error: unknown command 'fly' (see 'help')" + System.lineSeparator(), err());
        assertEquals("", out());
    }

    @Test
    void anUnknownOptionIsAUsageError() {
        assertEquals(2, run("mlp", "--epochs", "3"));
        assertTrue(err().startsWith("error: unknown option '--epochs' for 'mlp'; it takes --"), err());
    }

    @Test
    void aBadNumberIsAUsageError() {
        assertEquals(2, run("mlp", "--steps", "many"));
        assertTrue(err().startsWith("error: --steps of 'mlp' needs an integer in [0, 1000000], got 'many'"), err());
        assertEquals(2, run("mlp", "--lr=-1"));
        assertTrue(err().contains("error: --lr of 'mlp' needs a number in (0, 10.0], got '-1'"), err());
        assertEquals(2, run("bench", "--size", "0"));
        assertTrue(err().contains("error: --size of 'bench' needs an integer in [1, 8192], got '0'"), err());
    }

    @Test
    void aMissingValueIsAUsageError() {
        assertEquals(2, run("bench", "--iters"));
        assertTrue(err().startsWith("error: option '--iters' needs a value"), err());
    }

    @Test
    void aStrayArgumentIsAUsageError() {
        assertEquals(2, run("backends", "all"));
        assertTrue(err().startsWith("error: unexpected argument 'all' for 'backends'"), err());
    }

    @Test
    void aRepeatedOptionIsAUsageError() {
        assertEquals(2, run("mlp", "--seed", "1", "--seed=2"));
        assertTrue(err().startsWith("error: option '--seed' is given twice"), err());
    }

    @Test
    void backendsListsWhatWasFound() {
        assertEquals(0, run("backends"));
        assertTrue(out().contains("scalar") && out().contains("priority"), out());
        assertTrue(out().contains("using backend '"), out());
    }
}
