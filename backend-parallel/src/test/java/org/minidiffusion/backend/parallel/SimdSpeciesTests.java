package org.minidiffusion.backend.parallel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The Vector API path uses float vectors of one size only, the preferred one.
 *
 * <p>A second size (it was half the preferred one, to widen floats to double) reached the type
 * profile of {@code FloatVector.intoArray}, which every caller shares, through the JDK's Java
 * fallback of the conversion while that code was not yet compiled by C2. In some JVMs, more often on
 * a loaded machine, C2 then compiled {@code SimdOptimizer.adam} with its last store not intrinsified
 * and boxed every vector of it: 369 MiB allocated per U-Net training step instead of 56.6, for the
 * life of the JVM ({@code bench/PROFILE.md}). Which JVMs do depends on the order of compilations, so
 * the test checks the cause, the species of the backend's classes, and that widening from the
 * preferred size reads exactly the same floats, up to the end of the array.
 */
class SimdSpeciesTests {

    @Test
    void everyVectorSpeciesOfTheBackendHasThePreferredSize() throws Exception {
        Assumptions.assumeTrue(Simd.status().active(), "the Vector API path is not active in this JVM");
        VectorApi.speciesHaveThePreferredSize();
    }

    @Test
    void widenReadsTheSameFloatsUpToTheEndOfTheArray() {
        Assumptions.assumeTrue(Simd.status().active(), "the Vector API path is not active in this JVM");
        VectorApi.widenReadsTheSameFloats();
    }

    @Test
    void columnSumsAtTheEndOfTheArrayEqualThePlainLoop() {
        Assumptions.assumeTrue(Simd.status().active(), "the Vector API path is not active in this JVM");
        VectorApi.columnSumsEqualThePlainLoop();
    }

    /** The checks, in a class of their own: a JVM without the incubator module never loads it. */
    private static final class VectorApi {
        private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
        private static final VectorSpecies<Double> D = DoubleVector.SPECIES_PREFERRED;

        static void speciesHaveThePreferredSize() throws Exception {
            List<String> checked = new ArrayList<>();
            List<String> others = new ArrayList<>();
            for (Class<?> c : backendClasses()) {
                for (Field f : c.getDeclaredFields()) {
                    if (!Modifier.isStatic(f.getModifiers()) || !VectorSpecies.class.isAssignableFrom(f.getType())) {
                        continue;
                    }
                    f.setAccessible(true);
                    VectorSpecies<?> s = (VectorSpecies<?>) f.get(null);
                    String name = c.getSimpleName() + "." + f.getName();
                    checked.add(name);
                    VectorSpecies<?> preferred =
                            s.elementType() == float.class ? F : s.elementType() == double.class ? D : null;
                    if (preferred != null && !s.equals(preferred)) {
                        others.add(name + " = " + s + " (preferred: " + preferred + ")");
                    }
                }
            }
            assertTrue(checked.contains("SimdNorms.F") && checked.contains("SimdOptimizer.F"),
                    "the scan found the backend's species fields: " + checked);
            assertEquals(List.of(), others, "float or double species other than the preferred size");
        }

        static void widenReadsTheSameFloats() {
            for (int n = D.length(); n <= 3 * F.length(); n++) {
                float[] a = new float[n];
                for (int i = 0; i < n; i++) {
                    a[i] = (i % 2 == 0 ? 1 : -1) * (i + 0.1f) * 1e-3f;
                }
                for (int from = 0; from + D.length() <= n; from++) {
                    double[] expected = new double[D.length()];
                    for (int l = 0; l < expected.length; l++) {
                        expected[l] = a[from + l];
                    }
                    assertArrayEquals(expected, SimdNorms.widen(a, from).toArray(), "n = " + n + ", from = " + from);
                }
            }
        }

        static void columnSumsEqualThePlainLoop() {
            int inner = 2 * D.length() + 3;
            int rows = 5;
            float[] x = new float[rows * inner];
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) Math.sin(i * 0.7) * 3;
            }
            for (int j0 = 0; j0 < inner; j0++) {
                int width = inner - j0; // the last row ends at the array's end
                double[] sums = new double[width];
                SimdSums.addRows(x, 0, inner, 0, rows, j0, width, sums);
                double[] expected = new double[width];
                for (int l = 0; l < rows; l++) {
                    for (int j = 0; j < width; j++) {
                        expected[j] += x[l * inner + j0 + j];
                    }
                }
                assertArrayEquals(expected, sums, "j0 = " + j0);
            }
        }

        /** The classes of the backend's package, from the directory or jar it was loaded from. */
        private static List<Class<?>> backendClasses() throws IOException, URISyntaxException, ClassNotFoundException {
            Path root = Path.of(Simd.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            String pkg = Simd.class.getPackageName();
            List<String> names = new ArrayList<>();
            if (Files.isDirectory(root)) {
                Path dir = root.resolve(pkg.replace('.', '/'));
                try (Stream<Path> files = Files.list(dir)) {
                    files.map(p -> p.getFileName().toString()).filter(f -> f.endsWith(".class"))
                            .forEach(f -> names.add(pkg + "." + f.substring(0, f.length() - ".class".length())));
                }
            } else {
                try (java.util.jar.JarFile jar = new java.util.jar.JarFile(root.toFile())) {
                    String prefix = pkg.replace('.', '/') + "/";
                    jar.stream().map(java.util.jar.JarEntry::getName)
                            .filter(e -> e.startsWith(prefix) && e.endsWith(".class")
                                    && e.indexOf('/', prefix.length()) < 0)
                            .forEach(e -> names.add(e.substring(0, e.length() - ".class".length()).replace('/', '.')));
                }
            }
            List<Class<?>> classes = new ArrayList<>();
            for (String name : names) {
                classes.add(Class.forName(name, false, Simd.class.getClassLoader()));
            }
            return classes;
        }
    }
}
