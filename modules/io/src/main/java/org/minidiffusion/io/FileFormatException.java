package org.minidiffusion.io;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Thrown when a file exists and can be read but its content is not valid for the format.
 *
 * <p>The message always starts with the file, as in
 * {@code "model.safetensors: tensor 'w': dtype 'F8' is not supported"}, and names the entry at
 * fault when there is one.
 */
public final class FileFormatException extends IOException {
    private static final long serialVersionUID = 1L;

    /** The file, kept as a string because {@link Path} is not serializable. */
    private final String file;

    /**
     * Creates an exception for a problem in {@code file}.
     *
     * @param file    the file whose content is invalid
     * @param problem what is wrong, in a few words
     */
    public FileFormatException(Path file, String problem) {
        this(file, problem, null);
    }

    /**
     * Creates an exception for a problem in {@code file} detected through {@code cause}.
     *
     * @param file    the file whose content is invalid
     * @param problem what is wrong, in a few words
     * @param cause   the underlying exception, or {@code null}
     */
    public FileFormatException(Path file, String problem, Throwable cause) {
        super(file + ": " + problem, cause);
        this.file = file.toString();
    }

    /**
     * Returns the file whose content is invalid.
     *
     * @return the path, as given to the reader
     */
    public Path file() {
        return Path.of(file);
    }
}
