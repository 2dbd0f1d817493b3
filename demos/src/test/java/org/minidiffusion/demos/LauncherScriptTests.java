package org.minidiffusion.demos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.spi.ToolProvider;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the repository's launcher script, {@code minidiffusion}, with {@code sh}, the way the README
 * says to: from another directory, through a symbolic link.
 *
 * <p>It runs on a copy of the script in a temporary tree laid out like a built clone (the jars in
 * {@code demos/target/lib} and {@code backend-*}{@code /target}, a micro model in {@code models/})
 * but without a {@code pom.xml}, so the script can never start Maven inside {@code mvn verify}; the
 * modules are this build's ({@link TestModules}). Skipped where there is no {@code sh}.
 */
class LauncherScriptTests {
    private static final long TIMEOUT_SECONDS = 90;
    private static final Path REPOSITORY = Path.of("..").toAbsolutePath().normalize();
    private static final String INCUBATOR_WARNING = "WARNING: Using incubator modules: jdk.incubator.vector";

    /** Where the tests run the script from and write their files. */
    @TempDir
    Path tmp;

    /** The copy of the repository's root: the script, the jars, the models; made once. */
    private static Path clone;

    @BeforeAll
    static void aBuiltCloneWithoutSources(@TempDir Path dir) throws IOException {
        assumeTrue(Files.isExecutable(Path.of("/bin/sh")), "no /bin/sh");
        TestModules modules = TestModules.find();
        clone = dir.resolve("clone");
        Path lib = Files.createDirectories(clone.resolve("demos/target/lib"));
        Files.copy(REPOSITORY.resolve("minidiffusion"), clone.resolve("minidiffusion"),
                StandardCopyOption.COPY_ATTRIBUTES);
        int exploded = 0;
        for (Path module : modules.runtime()) {
            String name = module.equals(modules.demos()) ? "minidiffusion-demos-test.jar"
                    : Files.isDirectory(module) ? "module-" + exploded++ + ".jar" : module.getFileName().toString();
            jar(module, lib.resolve(name));
        }
        jar(modules.parallel(), Files.createDirectories(clone.resolve("backend-parallel/target"))
                .resolve("backend-parallel.jar"));
        jar(modules.scalar(), Files.createDirectories(clone.resolve("backend-scalar/target"))
                .resolve("backend-scalar.jar"));
        Files.createFile(stamp());
        DemoRun.writeMicroModel(Files.createDirectories(clone.resolve("models")).resolve(GenerateCommand.DEFAULT_MODEL), 1);
    }

    private static Path stamp() {
        return clone.resolve("demos/target/minidiffusion-launcher.stamp");
    }

    @Test
    void generateRunsFromAnotherDirectoryThroughALinkWithTheShippedModel() throws Exception {
        Path work = Files.createDirectories(tmp.resolve("elsewhere/work"));
        Path link = Files.createSymbolicLink(Files.createDirectories(tmp.resolve("elsewhere/bin")).resolve("md"),
                clone.resolve("minidiffusion"));
        ChildProcess run;
        try {
            run = launch(List.of(link.toString(), "generate", "--count", "2", "--steps", "1"), work, Map.of());
        } finally {
            Files.delete(link); // a link out of its temporary directory, which JUnit would warn about
        }
        assertEquals(0, run.exitCode(), run.toString());
        assertTrue(Files.size(work.resolve("generated.png")) > 0, run.toString());
        assertTrue(run.out().contains("loaded " + clone.toRealPath().resolve("models/fashion-unet.safetensors") + ": "),
                "the clone's models, found through -D" + ShippedModels.PROPERTY + "\n" + run);
        List<String> using = run.out().lines().filter(l -> l.startsWith("using ")).toList();
        assertEquals(1, using.size(), run.toString());
        assertTrue(using.get(0).startsWith("using backend 'parallel' (") && using.get(0).contains("Vector API"),
                "both backends and the Vector API are on\n" + run);
        assertEquals(List.of(INCUBATOR_WARNING), run.err().lines().toList(), "no build, no log record\n" + run);
    }

    @Test
    void logRecordsTakeOneLine() throws Exception {
        Path config = tmp.resolve("debug.properties");
        Files.writeString(config, String.join("\n", "handlers=java.util.logging.ConsoleHandler",
                "java.util.logging.ConsoleHandler.level=FINE", "org.minidiffusion.core.level=FINE", ""));
        ChildProcess run = launch(List.of(clone.resolve("minidiffusion").toString(), "backends"), tmp,
                Map.of("MINIDIFFUSION_JAVA_OPTS", "-Djava.util.logging.config.file=" + config));
        assertEquals(0, run.exitCode(), run.toString());
        List<String> err = run.err().lines().filter(l -> !l.equals(INCUBATOR_WARNING)).toList();
        assertEquals(1, err.size(), "the backend's DEBUG record, in one line\n" + run);
        assertTrue(err.get(0).startsWith("FINE org.minidiffusion.core: mini-diffusion: using backend 'parallel' ("),
                run.toString());
    }

    @Test
    void changedSourcesAskForABuildWhichNeedsAPom() throws Exception {
        Path source = clone.resolve("modules/core/src/main/java/A.java");
        FileTime built = Files.getLastModifiedTime(stamp());
        try {
            Files.createDirectories(source.getParent());
            Files.writeString(source, "class A {}\n");
            Files.setLastModifiedTime(stamp(), FileTime.from(Instant.now().minusSeconds(3600)));
            ChildProcess stale = launch(List.of(clone.resolve("minidiffusion").toString(), "help"), tmp, Map.of());
            assertEquals(1, stale.exitCode(), stale.toString());
            assertTrue(stale.err().startsWith("minidiffusion: no build in ") && stale.err().contains("no pom.xml"),
                    stale.toString());
            assertFalse(stale.err().contains("building"), stale.toString());

            ChildProcess asIs = launch(List.of(clone.resolve("minidiffusion").toString(), "help"), tmp,
                    Map.of("MINIDIFFUSION_NO_BUILD", "1"));
            assertEquals(0, asIs.exitCode(), asIs.toString());
            assertTrue(asIs.out().startsWith("Usage: minidiffusion "), asIs.toString());
        } finally {
            Files.deleteIfExists(source);
            Files.setLastModifiedTime(stamp(), built);
        }
    }

    @Test
    void everyLauncherStartsTheJvmWithTheSameSettings() throws IOException {
        String posix = Files.readString(REPOSITORY.resolve("minidiffusion"));
        Matcher m = Pattern.compile("exec \"\\$java\" (-XX:\\S+(?: -X\\S+)*)").matcher(posix);
        assertTrue(m.find(), "the memory flags of ./minidiffusion");
        String memory = m.group(1);
        String format = "-Djava.util.logging.SimpleFormatter.format=%4$s %3$s: %5$s%6$s%n";
        assertTrue(posix.contains(format), posix);
        for (Path script : List.of(REPOSITORY.resolve("minidiffusion.cmd"),
                REPOSITORY.resolve("demos/src/image/bin/minidiffusion"),
                REPOSITORY.resolve("demos/src/image/bin/minidiffusion.cmd"))) {
            String text = Files.readString(script);
            boolean cmd = script.toString().endsWith(".cmd");
            assertTrue(text.contains("\" " + memory + " --add-modules jdk.incubator.vector")
                    || text.contains("/java\" " + memory + " \\"), script + " starts java with " + memory);
            assertTrue(text.contains(cmd ? format.replace("%", "%%") : format), script + " sets the log format");
            assertTrue(text.contains("-Dminidiffusion.models="), script + " names its models");
            assertTrue(text.contains(cmd ? "%MINIDIFFUSION_JAVA_OPTS%" : "${MINIDIFFUSION_JAVA_OPTS:-}"), script.toString());
        }
    }

    private static void jar(Path module, Path jar) throws IOException {
        if (Files.isRegularFile(module)) {
            Files.copy(module, jar);
            return;
        }
        ToolProvider tool = ToolProvider.findFirst("jar").orElseThrow(() -> new IllegalStateException("no jar tool"));
        List<String> args = new ArrayList<>(List.of("--create", "--file", jar.toString()));
        if (Files.exists(module.resolve(Demos.class.getName().replace('.', '/') + ".class"))) {
            args.addAll(List.of("--main-class", Demos.class.getName())); // java -m org.minidiffusion.demos
        }
        args.addAll(List.of("-C", module.toString(), "."));
        StringWriter messages = new StringWriter();
        int code = tool.run(new PrintWriter(messages), new PrintWriter(messages), args.toArray(String[]::new));
        if (code != 0) {
            throw new IOException("jar " + String.join(" ", args) + " failed: " + messages);
        }
    }

    private ChildProcess launch(List<String> command, Path workingDir, Map<String, String> environment)
            throws IOException, InterruptedException {
        return ChildProcess.run(command, workingDir, env -> {
            env.keySet().removeIf(k -> k.startsWith("MINIDIFFUSION_"));
            env.put("JAVA_HOME", System.getProperty("java.home"));
            env.putAll(environment);
        }, tmp, TIMEOUT_SECONDS, "the launcher");
    }
}
