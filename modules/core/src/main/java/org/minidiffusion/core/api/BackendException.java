package org.minidiffusion.core.api;

/**
 * Thrown when no usable compute backend can be chosen: none is installed, the requested id is
 * unknown, two providers claim one id, or a provider fails to load.
 */
public final class BackendException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what went wrong and how to fix it
     */
    public BackendException(String message) {
        super(message);
    }

    /**
     * Creates the exception with its cause.
     *
     * @param message what went wrong and how to fix it
     * @param cause   the underlying failure
     */
    public BackendException(String message, Throwable cause) {
        super(message, cause);
    }
}
