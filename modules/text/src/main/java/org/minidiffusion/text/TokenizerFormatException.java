package org.minidiffusion.text;

import java.io.IOException;
import java.nio.file.Path;

/** A tokenizer file that cannot be used; the message names the file and the line or key at fault. */
public final class TokenizerFormatException extends IOException {
    private static final long serialVersionUID = 1L;

    /** The file at fault, as given by the caller; not serialised. */
    private final transient Path file;

    /**
     * Creates the exception.
     *
     * @param file    the file at fault
     * @param where   the line, key or entry, for example {@code "line 12"}
     * @param problem what is wrong there
     */
    public TokenizerFormatException(Path file, String where, String problem) {
        super(file + ": " + where + ": " + problem);
        this.file = file;
    }

    /**
     * Returns the file at fault.
     *
     * @return the path as the caller gave it
     */
    public Path file() {
        return file;
    }
}
