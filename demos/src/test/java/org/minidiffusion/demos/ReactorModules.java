package org.minidiffusion.demos;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The modules of the build as the root pom lists them, for the tests that read every module's
 * compiled classes or pom ({@link ModuleGraphTests}, {@link ArchitectureTests}, {@link PublishingTests}).
 */
final class ReactorModules {
    /** The repository root: the tests run in {@code demos}. */
    static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

    private static final Pattern MODULE = Pattern.compile("<module>([^<]+)</module>");
    private static final Pattern POM_PACKAGING = Pattern.compile("<packaging>\\s*pom\\s*</packaging>");

    private ReactorModules() {
    }

    /** Returns every module directory of the root pom, in its order, the BOM included. */
    static List<String> all() {
        Matcher m = MODULE.matcher(read(ROOT.resolve("pom.xml")));
        List<String> dirs = new ArrayList<>();
        while (m.find()) {
            dirs.add(m.group(1).trim());
        }
        return List.copyOf(dirs);
    }

    /** Returns the module directories that compile classes into a jar: all but those packaged as {@code pom}. */
    static List<String> jarModules() {
        return all().stream().filter(dir -> !POM_PACKAGING.matcher(read(ROOT.resolve(dir).resolve("pom.xml"))).find())
                .toList();
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }
}
