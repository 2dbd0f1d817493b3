package org.minidiffusion.demos;

/**
 * A bad command line: printed in one line with a pointer to the command's {@code --help}, and exit
 * code 2.
 */
final class UsageException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** The value of {@link #command()} that points to the top-level help, whatever command runs. */
    static final String TOP_LEVEL = "";

    /** The command whose help to point to, {@link #TOP_LEVEL}, or null for the command being run (if any). */
    private final String command;

    /**
     * Creates the exception for the command being run.
     *
     * @param message a one-line explanation
     */
    UsageException(String message) {
        this(message, null);
    }

    /**
     * Creates the exception for a named command.
     *
     * @param message a one-line explanation
     * @param command the command whose help explains the mistake, or null
     */
    UsageException(String message, String command) {
        super(message);
        this.command = command;
    }

    /**
     * Returns the command whose help explains the mistake.
     *
     * @return the command, or null
     */
    String command() {
        return command;
    }
}
