package org.minidiffusion.demos;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * A child process run to its end with its output captured, for the tests that start the demos in
 * another JVM or through the launcher script.
 *
 * @param command  the command line
 * @param exitCode the exit code, -1 if it was killed for taking too long
 * @param out      its standard output
 * @param err      its standard error
 */
record ChildProcess(List<String> command, int exitCode, String out, String err) {
    /**
     * Runs a command and waits for it; fails the test if it does not exit in time.
     *
     * @param command     the command line
     * @param workingDir  its working directory, or null for this JVM's
     * @param environment changes to the environment it inherits
     * @param tmp         where to keep its output
     * @param timeout     how long to wait, in seconds
     * @param what        what it is, for the timeout's message, such as {@code "the child JVM"}
     * @return what it did
     * @throws IOException          if it cannot be started or its output read
     * @throws InterruptedException if the wait is interrupted
     */
    static ChildProcess run(List<String> command, Path workingDir, Consumer<Map<String, String>> environment, Path tmp,
                            long timeout, String what) throws IOException, InterruptedException {
        Path out = Files.createTempFile(tmp, "stdout", ".txt");
        Path err = Files.createTempFile(tmp, "stderr", ".txt");
        ProcessBuilder builder = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile());
        if (workingDir != null) {
            builder.directory(workingDir.toFile());
        }
        environment.accept(builder.environment());
        Process process = builder.start();
        boolean exited = process.waitFor(timeout, TimeUnit.SECONDS);
        if (!exited) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        ChildProcess run = new ChildProcess(command, exited ? process.exitValue() : -1,
                Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
        if (!exited) {
            fail(what + " did not exit within " + timeout + " s\n" + run);
        }
        return run;
    }

    /** Asserts that standard error holds no stack trace. */
    void assertNoStackTrace() {
        assertFalse(err.contains("\tat ") || err.contains("Exception in thread"),
                "stderr must not hold a stack trace\n" + this);
    }

    @Override
    public String toString() {
        return "command: " + String.join(" ", command) + "\nexit code: " + exitCode
                + "\n--- stdout ---\n" + out + "--- stderr ---\n" + err;
    }
}
