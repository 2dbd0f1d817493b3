package org.minidiffusion.demos;

import java.io.File;
import java.lang.module.Configuration;
import java.lang.module.FindException;
import java.lang.module.ModuleFinder;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.Set;
import org.minidiffusion.core.spi.BackendProvider;

/**
 * Where this build's modules are, for the tests that launch the demos in child JVMs: the demos, the
 * modules they need at run time (without any backend), and each backend.
 *
 * <p>The modules are taken from where the test class path found them: in a reactor build these
 * are the exploded {@code target/classes} directories (or the jars after {@code package}), so the
 * tests run under {@code mvn test} as well as {@code mvn verify}. The runtime modules are the
 * module graph that JPMS resolves from {@code org.minidiffusion.demos} over the test class path.
 *
 * @param demos    the demos module
 * @param runtime  the demos module and every module it needs, without a backend, sorted
 * @param scalar   the scalar backend module
 * @param parallel the parallel backend module
 */
record TestModules(Path demos, List<Path> runtime, Path scalar, Path parallel) {
    /**
     * Locates the modules on the test class path.
     *
     * @return the modules
     * @throws IllegalStateException if a backend is not on the test class path
     */
    static TestModules find() {
        Path demos = locationOf(Demos.class);
        Map<String, Path> backends = new HashMap<>();
        ServiceLoader.load(BackendProvider.class).stream().forEach(p -> backends.put(p.get().id(), locationOf(p.type())));
        Path scalar = backends.get("scalar");
        Path parallel = backends.get("parallel");
        if (scalar == null || parallel == null) {
            throw new IllegalStateException("a backend is not on the test class path; found " + backends);
        }
        return new TestModules(demos, runtimeModules(demos, Set.of(scalar, parallel)), scalar, parallel);
    }

    /** Returns the locations of the demos module and every module it needs, resolved by JPMS from the test class path. */
    private static List<Path> runtimeModules(Path demos, Set<Path> backends) {
        String classPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<Path> candidates = new ArrayList<>();
        for (String entry : classPath.split(File.pathSeparator)) {
            Path p = Path.of(entry).toAbsolutePath();
            boolean module = Files.isRegularFile(p) && p.toString().endsWith(".jar")
                    || Files.isRegularFile(p.resolve("module-info.class"));
            if (module && !backends.contains(p)) {
                try {
                    ModuleFinder.of(p).findAll(); // skip anything that is not a valid module
                    candidates.add(p);
                } catch (FindException e) {
                    // not a module: ignore it
                }
            }
        }
        candidates.add(0, demos);
        Configuration resolved = ModuleLayer.boot().configuration().resolve(
                ModuleFinder.of(candidates.stream().distinct().toArray(Path[]::new)), ModuleFinder.of(),
                Set.of("org.minidiffusion.demos"));
        return resolved.modules().stream()
                .map(m -> Path.of(m.reference().location().orElseThrow()).toAbsolutePath())
                .sorted().toList();
    }

    /**
     * Returns the class directory or jar a class was loaded from.
     *
     * @param type the class
     * @return its location
     */
    static Path locationOf(Class<?> type) {
        try {
            return Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI()).toAbsolutePath();
        } catch (URISyntaxException e) {
            throw new IllegalStateException("cannot locate " + type, e);
        }
    }
}
