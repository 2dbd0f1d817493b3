package org.minidiffusion.demos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.InputStream;
import java.lang.module.ModuleDescriptor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Checks {@code module-graph.md} against the compiled module descriptors, so the document cannot
 * drift from the code, and checks the package rules: every package starts with its module's name
 * and no package is split across modules.
 */
class ModuleGraphTests {
    private static final Path ROOT = ReactorModules.ROOT;
    /** The module directories of the build that compile a module, as the root pom lists them (not the BOM). */
    private static final List<String> MODULE_DIRS = ReactorModules.jarModules();

    private static Map<String, ModuleDescriptor> descriptors() throws IOException {
        Map<String, ModuleDescriptor> all = new LinkedHashMap<>();
        for (String dir : MODULE_DIRS) {
            Path info = ROOT.resolve(dir).resolve("target/classes/module-info.class");
            assertTrue(Files.exists(info), "not compiled: " + info);
            try (InputStream in = Files.newInputStream(info)) {
                ModuleDescriptor d = ModuleDescriptor.read(in, () -> packagesUnder(ROOT.resolve(dir).resolve("target/classes")));
                all.put(d.name(), d);
            }
        }
        return all;
    }

    private static java.util.Set<String> packagesUnder(Path classes) {
        try (var files = Files.walk(classes)) {
            return files.filter(p -> p.toString().endsWith(".class") && !p.getFileName().toString().equals("module-info.class"))
                    .map(p -> classes.relativize(p.getParent()).toString().replace(java.io.File.separatorChar, '.'))
                    .collect(Collectors.toCollection(TreeSet::new));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Renders one table row the way module-graph.md writes it. */
    private static String row(ModuleDescriptor d) {
        String requires = d.requires().stream()
                .filter(r -> !r.name().equals("java.base"))
                .map(r -> r.name() + (r.modifiers().contains(ModuleDescriptor.Requires.Modifier.TRANSITIVE) ? " (transitive)" : "")
                        + (r.modifiers().contains(ModuleDescriptor.Requires.Modifier.STATIC) ? " (static)" : ""))
                .sorted().collect(Collectors.joining(", "));
        String exports = d.exports().stream().map(e -> e.source()
                        + (e.isQualified() ? " to " + String.join(", ", new TreeSet<>(e.targets())) : ""))
                .sorted().collect(Collectors.joining(", "));
        String uses = d.uses().stream().sorted().collect(Collectors.joining(", "));
        String provides = d.provides().stream().map(p -> p.service() + " with " + String.join(", ", p.providers()))
                .sorted().collect(Collectors.joining(", "));
        return "| " + String.join(" | ", "`" + d.name() + "`", cell(requires), cell(exports), cell(uses), cell(provides)) + " |";
    }

    private static String cell(String s) {
        return s.isEmpty() ? "—" : s;
    }

    @Test
    void theTableMatchesTheModuleDescriptors() throws IOException {
        String doc = Files.readString(ROOT.resolve("module-graph.md"));
        for (ModuleDescriptor d : descriptors().values()) {
            String expected = row(d);
            assertTrue(doc.lines().anyMatch(line -> line.trim().equals(expected)),
                    "module-graph.md lacks the row, or it differs from the compiled module-info:\n" + expected);
        }
        long rows = doc.lines().filter(l -> l.startsWith("| `") && l.chars().filter(c -> c == '|').count() == 6).count();
        assertEquals(MODULE_DIRS.size(), rows, "module-graph.md should have one descriptor row per module");
    }

    @Test
    void theMermaidEdgesAreTheRequiresBetweenOurModules() throws IOException {
        String doc = Files.readString(ROOT.resolve("module-graph.md"));
        Map<String, ModuleDescriptor> all = descriptors();
        Map<String, String> ids = new HashMap<>();
        Matcher node = Pattern.compile("^\\s*(\\w+)\\[\"?([\\w.]+)\"?]", Pattern.MULTILINE).matcher(doc);
        while (node.find()) {
            ids.put(node.group(1), node.group(2));
        }
        TreeSet<String> documented = new TreeSet<>();
        Matcher edge = Pattern.compile("^\\s*(\\w+)(?:\\[[^]]*])?\\s*-->\\s*(\\w+)", Pattern.MULTILINE).matcher(doc);
        while (edge.find()) {
            documented.add(ids.getOrDefault(edge.group(1), edge.group(1)) + " -> " + ids.getOrDefault(edge.group(2), edge.group(2)));
        }
        TreeSet<String> actual = new TreeSet<>();
        for (ModuleDescriptor d : all.values()) {
            d.requires().stream().filter(r -> all.containsKey(r.name()))
                    .forEach(r -> actual.add(d.name() + " -> " + r.name()));
        }
        assertEquals(actual, documented, "the mermaid diagram's edges differ from the modules' requires");
    }

    @Test
    void everyPackageStartsWithItsModuleNameAndNoneIsSplit() throws IOException {
        Map<String, String> owner = new HashMap<>();
        for (ModuleDescriptor d : descriptors().values()) {
            for (String p : d.packages()) {
                if (!(p.equals(d.name()) || p.startsWith(d.name() + "."))) {
                    fail("package " + p + " of module " + d.name() + " is outside the module's root package");
                }
                String previous = owner.put(p, d.name());
                if (previous != null) {
                    fail("package " + p + " is split across " + previous + " and " + d.name());
                }
            }
        }
        assertTrue(owner.size() >= MODULE_DIRS.size());
    }
}
