package org.minidiffusion.demos;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Checks the package structure of the library with ArchUnit: no two packages import each other,
 * directly or through others, in a circle, and the core's API does not depend on its implementation.
 *
 * <p>The classes are read from {@code target/classes} of every module the root pom lists, as
 * {@link ModuleGraphTests} reads their descriptors, not from the test class path: the demos' tests
 * see neither the testkit nor the backends' classes there as library classes, and the result must
 * not depend on whether surefire runs on the class path or the module path.
 */
class ArchitectureTests {
    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    private static final String CORE_API = "org.minidiffusion.core.api";
    private static final String CORE_INTERNAL = "org.minidiffusion.core.internal";

    /**
     * The one dependency of the API on the implementation still allowed: {@code Workspace} wraps a
     * {@code BufferPool}. It moves behind {@code TensorFactory} with the rework of the workspace;
     * delete this exception then.
     */
    private static final String WORKSPACE = CORE_API + ".Workspace";
    private static final String BUFFER_POOL = CORE_INTERNAL + ".BufferPool";

    private static JavaClasses classes;

    @BeforeAll
    static void importLibrary() throws IOException {
        List<Path> dirs = new ArrayList<>();
        for (String module : ReactorModules.jarModules()) {
            Path dir = ROOT.resolve(module).resolve("target/classes");
            assertTrue(Files.isDirectory(dir), "not compiled: " + dir);
            dirs.add(dir);
        }
        classes = new ClassFileImporter().importPaths(dirs);
    }

    @Test
    void theWholeLibraryIsImported() {
        Set<String> packages = classes.stream().map(JavaClass::getPackageName).collect(Collectors.toCollection(TreeSet::new));
        for (String p : List.of(CORE_API, CORE_INTERNAL, "org.minidiffusion.core.spi", "org.minidiffusion.testkit",
                "org.minidiffusion.backend.scalar", "org.minidiffusion.backend.parallel", "org.minidiffusion.nn",
                "org.minidiffusion.nn.config", "org.minidiffusion.vae", "org.minidiffusion.dit",
                "org.minidiffusion.transformer.clip", "org.minidiffusion.transformer.t5", "org.minidiffusion.io",
                "org.minidiffusion.diffusion", "org.minidiffusion.demos")) {
            assertTrue(packages.contains(p), "package " + p + " was not imported; found " + packages);
        }
    }

    @Test
    void packagesAreFreeOfCycles() {
        slices().matching("org.minidiffusion.(**)").should().beFreeOfCycles()
                .ignoreDependency(WORKSPACE, BUFFER_POOL)
                .check(classes);
    }

    @Test
    void coreApiDoesNotDependOnTheImplementation() {
        // Backend makes tensors through TensorFactory, which the core provides to itself as a service
        noClasses().that().resideInAPackage(CORE_API).and().doNotHaveFullyQualifiedName(WORKSPACE)
                .should().dependOnClassesThat().resideInAPackage(CORE_INTERNAL)
                .check(classes);
        noClasses().that().resideInAPackage("org.minidiffusion.core.spi")
                .should().dependOnClassesThat().resideInAnyPackage(CORE_API, CORE_INTERNAL)
                .check(classes);
    }
}
