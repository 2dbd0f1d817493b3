package org.minidiffusion.demos;

/**
 * A failure the user can fix, such as a missing model file: the launcher prints the message
 * without a stack trace and exits with code 1.
 */
final class DemoException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what went wrong and, where possible, what to do about it
     */
    DemoException(String message) {
        super(message);
    }

    /**
     * Creates the exception with a cause.
     *
     * @param message what went wrong and, where possible, what to do about it
     * @param cause   the underlying exception
     */
    DemoException(String message, Throwable cause) {
        super(message, cause);
    }
}
