package org.minidiffusion.demos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Checks the command line in-process: help, version, suggestions, completion and usage errors. */
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
    void noArgumentsPrintsTheCommandsWithOneLineEach() {
        assertEquals(0, run());
        assertTrue(out().startsWith("Usage: minidiffusion [-hV] [--verbose] [COMMAND]"), out());
        for (CliCommand c : Demos.COMMANDS) {
            assertTrue(out().lines().anyMatch(l -> l.startsWith("  " + c.name() + " ") && l.contains(c.summary()
                    .substring(0, 20))), c.name() + "\n" + out());
        }
        assertTrue(out().contains("MINIDIFFUSION_MODELS") && out().contains("Exit codes"), out());
        assertEquals("", err());
    }

    @Test
    void helpAndDashHAndDashDashHelpPrintTheSameTopLevelHelp() {
        assertEquals(0, run());
        String expected = out();
        for (String arg : new String[] {"help", "-h", "--help"}) {
            out.reset();
            assertEquals(0, run(arg), arg);
            assertEquals(expected, out(), arg);
        }
        assertEquals("", err());
    }

    @Test
    void everyCommandHasItsOwnHelpListingEachOfItsOptions() {
        for (CliCommand c : Demos.COMMANDS) {
            for (String[] args : new String[][] {{c.name(), "--help"}, {c.name(), "-h"}, {"help", c.name()}}) {
                out.reset();
                assertEquals(0, run(args), String.join(" ", args) + "\n" + err());
                String help = out();
                assertTrue(help.startsWith("Usage: minidiffusion " + c.name()), help);
                assertTrue(help.contains(c.summary().substring(0, 20)), help);
                for (CliCommand.Option o : c.options()) {
                    String shown = "--" + o.name() + (o.isSwitch() ? "" : "=" + o.label());
                    assertTrue(help.contains(shown), c.name() + " help lacks " + shown + "\n" + help);
                }
                assertTrue(help.contains("-h, --help") && help.contains("-V, --version"), help);
            }
        }
        assertEquals("", err());
    }

    @Test
    void helpAfterTheVerboseOptionStillShowsTheHelp() {
        assertEquals(0, run("generate", "--help"));
        String expected = out();
        out.reset();
        assertEquals(0, run("--verbose", "help", "generate"));
        assertEquals(expected, out());
        assertEquals(2, run("--verbose", "help", "fly"));
        assertTrue(err().startsWith("error: unknown command 'fly' (see 'minidiffusion --help')"), err());
    }

    @Test
    void theHelpOfACommandShowsItsDefaults() {
        assertEquals(0, run("generate", "--help"));
        assertTrue(out().contains("--steps=N") && out().contains("(default: " + GenerateCommand.DEFAULT_STEPS + ")"),
                out());
        assertTrue(out().contains("--sampler=ddpm|ddim"), out());
    }

    @Test
    void versionPrintsTheBuildsVersionAndTheJavaRuntime() {
        for (String[] args : new String[][] {{"--version"}, {"-V"}, {"generate", "--version"}}) {
            out.reset();
            assertEquals(0, run(args), String.join(" ", args));
            List<String> lines = out().lines().toList();
            assertEquals("minidiffusion " + System.getProperty("minidiffusion.expectedVersion"), lines.get(0),
                    "the version of the pom\n" + out());
            assertTrue(lines.get(1).startsWith("Java " + System.getProperty("java.version") + " ("), out());
        }
    }

    @Test
    void anUnknownCommandIsOneLineAndExitCodeTwo() {
        assertEquals(2, run("fly"));
        assertEquals("error: unknown command 'fly' (see 'minidiffusion --help')" + System.lineSeparator(), err());
        assertEquals("", out());
    }

    @Test
    void aMistypedCommandGetsASuggestion() {
        assertEquals(2, run("genrate"));
        assertEquals("error: unknown command 'genrate'; did you mean 'generate'? (see 'minidiffusion --help')"
                + System.lineSeparator(), err());
        assertEquals("", out());
    }

    @Test
    void aMistypedOptionGetsASuggestion() {
        assertEquals(2, run("generate", "--stpes", "5"));
        assertEquals("error: unknown option '--stpes' for 'generate'; did you mean '--steps'? "
                + "(see 'minidiffusion generate --help')" + System.lineSeparator(), err());
        assertEquals("", out());
    }

    @Test
    void theCompletionScriptCompletesCommandsAndOptions() {
        assertEquals(0, run(Demos.COMPLETION));
        String script = out();
        assertTrue(script.startsWith("#!/usr/bin/env bash"), script.lines().findFirst().orElse(""));
        assertTrue(script.contains("complete -F _complete_minidiffusion"), "registers the function");
        for (CliCommand c : Demos.COMMANDS) {
            assertTrue(script.contains(c.name()), c.name());
        }
        assertTrue(script.contains("--show-tokens") && script.contains("--checkpoint-every"), "options too");
        assertEquals("", err());
    }

    @Test
    void anUnknownOptionIsAUsageError() {
        assertEquals(2, run("mlp", "--epochs", "3"));
        assertEquals("error: unknown option '--epochs' for 'mlp' (see 'minidiffusion mlp --help')"
                + System.lineSeparator(), err());
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
