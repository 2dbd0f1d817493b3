package org.minidiffusion.nn.config;

import java.io.IOException;
import java.nio.file.Path;

/** Thrown when a {@code config.json} is malformed or holds a value the model cannot be built from. */
public final class ConfigFileException extends IOException {
    private static final long serialVersionUID = 1L;

    private final transient Path file;
    private final String key;

    /**
     * Creates the exception.
     *
     * @param file    the file, or a description of where the text came from
     * @param key     the offending key, or null when the problem is not one key's
     * @param problem what is wrong
     */
    public ConfigFileException(Path file, String key, String problem) {
        super(file + ": " + (key == null ? "" : "key \"" + key + "\": ") + problem);
        this.file = file;
        this.key = key;
    }

    /**
     * Returns the file.
     *
     * @return the path
     */
    public Path file() {
        return file;
    }

    /**
     * Returns the offending key.
     *
     * @return the key, or null when the problem is not one key's
     */
    public String key() {
        return key;
    }
}
