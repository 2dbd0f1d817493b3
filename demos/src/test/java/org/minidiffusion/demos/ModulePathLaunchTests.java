package org.minidiffusion.demos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.minidiffusion.core.api.Backends;

/**
 * Launches the demos in child JVMs the way users do, on the module path with zero, one or both
 * backend modules, and once on the class path.
 *
 * <p>The modules are those of the test class path ({@link TestModules}), so the test runs under
 * {@code mvn test} as well as {@code mvn verify}.
 */
class ModulePathLaunchTests {
    private static final long TIMEOUT_SECONDS = 60;
    private static final String MAIN_MODULE = "org.minidiffusion.demos/org.minidiffusion.demos.Demos";
    private static final String[] QUICK_MLP = {"mlp", "--steps", "3"};

    private static Path demos;
    private static List<Path> runtime;
    private static Path scalar;
    private static Path parallel;

    @TempDir
    Path tmp;

    @BeforeAll
    static void locateModules() {
        TestModules modules = TestModules.find();
        demos = modules.demos();
        scalar = modules.scalar();
        parallel = modules.parallel();
        runtime = modules.runtime();
        assertTrue(runtime.contains(demos) && runtime.contains(locationOf(Backends.class)), runtime.toString());
        assertFalse(runtime.contains(scalar) || runtime.contains(parallel), "no backend is required: " + runtime);
    }

    @Test
    void onlyTheScalarBackend() throws Exception {
        ChildProcess run = launchModules(List.of(scalar), List.of(), QUICK_MLP);
        assertTrained(run);
        assertUsing(run, "scalar", "the only backend found");
    }

    @Test
    void onlyTheParallelBackend() throws Exception {
        ChildProcess run = launchModules(List.of(parallel), List.of(), QUICK_MLP);
        assertTrained(run);
        assertUsing(run, "parallel", "the only backend found");
        assertEquals(1, run.out().lines().filter(l -> l.startsWith("using ")).count(), run.toString());
        assertEquals("", run.err(), "the choice is said once, on stdout: the library logs it at DEBUG only\n" + run);
    }

    @Test
    void bothBackendsPreferTheHigherPriority() throws Exception {
        ChildProcess run = launchModules(List.of(scalar, parallel), List.of(), QUICK_MLP);
        assertTrained(run);
        assertUsing(run, "parallel", "highest priority (100)");
        assertTrue(run.out().contains("backends found: scalar (priority 10), parallel (priority 100)")
                || run.out().contains("backends found: parallel (priority 100), scalar (priority 10)"), run.toString());
    }

    @Test
    void theSystemPropertyChoosesTheOtherBackend() throws Exception {
        ChildProcess run = launchModules(List.of(scalar, parallel), List.of("-D" + Backends.PROPERTY + "=scalar"), QUICK_MLP);
        assertTrained(run);
        assertUsing(run, "scalar", "chosen by system property " + Backends.PROPERTY + "=scalar");
    }

    @Test
    void theEnvironmentVariableChoosesTheOtherBackend() throws Exception {
        ChildProcess run = launch(modulePathCommand(List.of(scalar, parallel), List.of(), QUICK_MLP),
                Map.of(Backends.ENV, "scalar"));
        assertTrained(run);
        assertUsing(run, "scalar", "chosen by environment variable " + Backends.ENV + "=scalar");
    }

    @Test
    void noBackendIsAClearErrorWithoutAStackTrace() throws Exception {
        ChildProcess run = launchModules(List.of(), List.of(), QUICK_MLP);
        assertEquals(1, run.exitCode(), run.toString());
        assertTrue(run.err().contains("error: no mini-diffusion backend found"), run.toString());
        assertTrue(run.err().contains("org.minidiffusion.backend.scalar"), "names a module to add\n" + run);
        assertTrue(run.err().contains("org.minidiffusion.backend.parallel"), "names a module to add\n" + run);
        assertFalse(run.out().contains("training"), run.toString());
        run.assertNoStackTrace();
    }

    @Test
    void anUnknownIdIsAClearErrorListingTheAvailableIds() throws Exception {
        ChildProcess run = launchModules(List.of(scalar, parallel), List.of("-D" + Backends.PROPERTY + "=nope"), QUICK_MLP);
        assertEquals(1, run.exitCode(), run.toString());
        String error = run.err().lines().filter(l -> l.startsWith("error: ")).findFirst().orElse("");
        assertTrue(error.contains("'nope'"), run.toString());
        assertTrue(error.contains("available: ") && error.contains("scalar") && error.contains("parallel"),
                run.toString());
        run.assertNoStackTrace();
    }

    @Test
    void aBadOptionIsAUsageErrorWithoutAStackTrace() throws Exception {
        ChildProcess run = launchModules(List.of(scalar), List.of(), "mlp", "--steps", "-3");
        assertEquals(2, run.exitCode(), run.toString());
        assertTrue(run.err().startsWith("error: --steps of 'mlp' needs an integer"), run.toString());
        assertEquals(1, run.err().lines().count(), "one line\n" + run);
        run.assertNoStackTrace();
    }

    @Test
    void theBenchmarkTimesEveryBackend() throws Exception {
        ChildProcess run = launchModules(List.of(scalar, parallel), List.of(), "bench", "--size", "64", "--iters", "2");
        assertEquals(0, run.exitCode(), run.toString());
        assertTrue(run.out().lines().anyMatch(l -> l.startsWith("scalar ") && l.contains("GFLOP/s")), run.toString());
        assertTrue(run.out().lines().anyMatch(l -> l.startsWith("parallel ") && l.contains("GFLOP/s")), run.toString());
        assertTrue(run.out().contains("parallel/scalar speed-up: "), run.toString());
    }

    @Test
    void theClassPathFindsABackendThroughMetaInfServices() throws Exception {
        List<Path> classPath = new ArrayList<>(runtime);
        classPath.add(scalar);
        List<String> command = new ArrayList<>(List.of(java(), "-cp", join(classPath), Demos.class.getName()));
        command.addAll(Arrays.asList(QUICK_MLP));
        ChildProcess run = launch(command, Map.of());
        assertTrained(run);
        assertUsing(run, "scalar", "the only backend found");
        assertTrue(run.out().contains("class path"), "the provider was loaded from the class path\n" + run);
    }

    @Test
    void generateWithAMissingModelIsAClearErrorWithoutAStackTrace() throws Exception {
        Path missing = tmp.resolve("missing.safetensors");
        ChildProcess run = launchModules(List.of(parallel), List.of(), "generate", "--model", missing.toString());
        assertEquals(1, run.exitCode(), run.toString());
        assertTrue(run.err().contains("error: no model file " + missing), run.toString());
        run.assertNoStackTrace();
    }

    @Test
    void runningOutOfHeapIsAClearErrorWithoutAStackTrace() throws Exception {
        Path model = tmp.resolve("micro.safetensors");
        DemoRun.writeMicroModel(model, 1);
        ChildProcess run = launchModules(List.of(parallel), List.of("-Xmx24m"), "generate", "--model", model.toString(),
                "--count", "100000", "--steps", "1", "--out", tmp.resolve("grid.png").toString());
        assertEquals(1, run.exitCode(), run.toString());
        assertTrue(run.err().contains("error: generate ran out of Java heap (the maximum is "), run.toString());
        assertTrue(run.err().contains("-Xmx") && run.err().contains("--count"), run.toString());
        run.assertNoStackTrace();
    }

    @Test
    void generateResolvesTheLibraryModulesAndWritesAPng() throws Exception {
        Path model = tmp.resolve("micro.safetensors");
        DemoRun.writeMicroModel(model, 1);
        Path png = tmp.resolve("grid.png");
        ChildProcess run = launchModules(List.of(parallel), List.of(), "generate", "--model", model.toString(), "--count", "2",
                "--steps", "1", "--out", png.toString(), "--backend", "parallel");
        assertEquals(0, run.exitCode(), run.toString());
        assertTrue(Files.size(png) > 0, run.toString());
        assertUsing(run, "parallel", "chosen by --backend");
    }

    // ------------------------------------------------------------------ helpers

    private static void assertTrained(ChildProcess run) {
        assertEquals(0, run.exitCode(), run.toString());
        assertTrue(run.out().contains("step    3  loss "), run.toString());
        assertTrue(run.out().contains("training accuracy "), run.toString());
    }

    private static void assertUsing(ChildProcess run, String id, String reason) {
        String using = run.out().lines().filter(l -> l.startsWith("using backend '")).findFirst()
                .orElseGet(() -> fail("no 'using backend' line\n" + run));
        assertTrue(using.startsWith("using backend '" + id + "' ("), run.toString());
        assertTrue(using.contains(reason), "expected the reason '" + reason + "'\n" + run);
    }

    private ChildProcess launchModules(List<Path> backends, List<String> jvmOptions, String... args)
            throws IOException, InterruptedException {
        return launch(modulePathCommand(backends, jvmOptions, args), Map.of());
    }

    private static List<String> modulePathCommand(List<Path> backends, List<String> jvmOptions, String... args) {
        List<Path> modulePath = new ArrayList<>(runtime);
        modulePath.addAll(backends);
        List<String> command = new ArrayList<>();
        command.add(java());
        command.addAll(jvmOptions);
        command.addAll(List.of("--module-path", join(modulePath), "-m", MAIN_MODULE));
        command.addAll(Arrays.asList(args));
        return command;
    }

    private ChildProcess launch(List<String> command, Map<String, String> environment)
            throws IOException, InterruptedException {
        return ChildProcess.run(command, null, env -> {
            env.remove(Backends.ENV);
            env.putAll(environment);
        }, tmp, TIMEOUT_SECONDS, "the child JVM");
    }

    private static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    private static String join(List<Path> paths) {
        return paths.stream().map(Path::toString).collect(Collectors.joining(File.pathSeparator));
    }

    private static Path locationOf(Class<?> type) {
        return TestModules.locationOf(type);
    }
}
