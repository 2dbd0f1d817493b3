package org.minidiffusion.demos;

/** A bad command line: the launcher prints the message in one line, pointing to {@code help}, and exits with code 1. */
final class UsageException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message a one-line explanation
     */
    UsageException(String message) {
        super(message);
    }
}
