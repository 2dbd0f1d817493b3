package org.minidiffusion.demos;

import java.lang.module.ModuleFinder;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Finds the models the project ships ({@code models/} of the repository, or of a runtime image),
 * wherever the demos are started from.
 *
 * <p>A command's own option ({@code --model}, {@code --classifier}) always wins and is used as
 * given; the caller checks that first. Otherwise a name relative to a models directory, such as
 * {@code fashion-unet.safetensors} or {@code fashion-sd3}, is looked up in these directories, and
 * the first that holds it is used:
 * <ol>
 * <li>the directory named by the environment variable {@value #ENV};</li>
 * <li>the directory named by the system property {@value #PROPERTY}, which the {@code minidiffusion}
 *     launcher at the repository's root and the runtime image's {@code bin/minidiffusion} set to
 *     their own {@code models/};</li>
 * <li>{@code models} in the working directory (a clone's root);</li>
 * <li>{@code models} in the Java runtime, when the demos are linked into it (the image of
 *     {@code mvn package}, started with its {@code bin/java}).</li>
 * </ol>
 * A name found nowhere gives a {@link DemoException} that lists every place looked.
 */
final class ShippedModels {
    /** The environment variable naming a directory of models, looked in before the shipped ones. */
    static final String ENV = "MINIDIFFUSION_MODELS";
    /** The system property naming the shipped models' directory; the launchers set it. */
    static final String PROPERTY = "minidiffusion.models";
    /** The demos' module, which a runtime image made by {@code mvn package} holds. */
    static final String DEMOS_MODULE = "org.minidiffusion.demos";
    /** The models directory's name, in the working directory and in a runtime image. */
    static final String DIRECTORY = "models";

    private ShippedModels() {
    }

    /**
     * Where the models may be: the values that decide the search, read once per lookup.
     *
     * @param env        the value of {@value #ENV}, null if unset
     * @param property   the value of {@value #PROPERTY}, null if unset
     * @param workingDir the working directory, absolute
     * @param runtime    the runtime image's directory if the demos are linked into it, else null
     */
    record Places(String env, String property, Path workingDir, Path runtime) {
        /**
         * Returns the places of this JVM.
         *
         * @return the environment variable, the system property, the working directory and the runtime image
         */
        static Places current() {
            // in a runtime image the demos are a system module, like java.base
            boolean linked = ModuleFinder.ofSystem().find(DEMOS_MODULE).isPresent();
            return new Places(System.getenv(ENV), System.getProperty(PROPERTY), Path.of("").toAbsolutePath(),
                    linked ? Path.of(System.getProperty("java.home")) : null);
        }

        /**
         * Returns the models directories in the order they are searched, each with how it was
         * named.
         *
         * @return the directories, at least the working directory's {@code models}
         */
        List<Place> directories() {
            List<Place> dirs = new ArrayList<>();
            directory(env, "$" + ENV).ifPresent(dirs::add);
            directory(property, "-D" + PROPERTY).ifPresent(dirs::add);
            dirs.add(new Place(workingDir.resolve(DIRECTORY), "the working directory"));
            if (runtime != null) {
                dirs.add(new Place(runtime.resolve(DIRECTORY), "the runtime image"));
            }
            return dirs;
        }

        private static Optional<Place> directory(String value, String source) {
            if (value == null || value.isBlank()) {
                return Optional.empty();
            }
            try {
                return Optional.of(new Place(Path.of(value.strip()), source));
            } catch (InvalidPathException e) {
                throw new DemoException(source + " is not a valid path: '" + value + "'", e);
            }
        }
    }

    /**
     * A models directory and what named it.
     *
     * @param directory the directory, as named (a relative one is relative to the working directory)
     * @param source    what named it, for messages: {@code $MINIDIFFUSION_MODELS}, ...
     */
    record Place(Path directory, String source) {
    }

    /**
     * Finds a shipped model by its name in a models directory.
     *
     * @param relative the file or directory name inside {@code models/}, such as
     *                 {@code fashion-unet.safetensors} or {@code fashion-sd3}
     * @return the first match, in the order of the class comment
     * @throws DemoException if none of the places holds it, listing them all
     */
    static Path resolve(String relative) {
        return resolve(relative, null);
    }

    /**
     * Finds a shipped model by its name in a models directory, for a command whose option
     * {@code option} would give another one.
     *
     * @param relative the file or directory name inside {@code models/}
     * @param option   the command-line option that overrides it, such as {@code --model}, named in
     *                 the error; null for none
     * @return the first match, in the order of the class comment
     * @throws DemoException if none of the places holds it, listing them all
     */
    static Path resolve(String relative, String option) {
        return resolve(relative, option, Places.current());
    }

    /**
     * Finds {@code relative} in the given places.
     *
     * @param relative the name inside {@code models/}
     * @param option   the option that overrides it, null for none
     * @param places   where to look
     * @return the first match
     * @throws DemoException if there is none, listing every place looked
     */
    static Path resolve(String relative, String option, Places places) {
        List<Place> dirs = places.directories();
        List<String> looked = new ArrayList<>();
        for (Place place : dirs) {
            Path candidate = place.directory().resolve(relative);
            if (Files.exists(candidate)) {
                return candidate;
            }
            looked.add(candidate.toAbsolutePath().normalize() + " (" + place.source() + ")");
        }
        throw new DemoException("no shipped model " + relative + "; looked for " + String.join(", ", looked)
                + (places.env() == null || places.env().isBlank() ? "; $" + ENV + " is not set" : "")
                + "; run from the repository's root or through its minidiffusion launcher, set " + ENV
                + " to a directory holding " + relative + (option == null ? "" : ", or pass its path with " + option));
    }
}
