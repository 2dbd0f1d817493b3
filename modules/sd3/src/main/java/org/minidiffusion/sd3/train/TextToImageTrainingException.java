package org.minidiffusion.sd3.train;

/** Thrown when text-to-image training cannot go on: the loss or a weight is NaN or infinite. */
public final class TextToImageTrainingException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what happened, at which step, and what was (not) changed or saved
     */
    public TextToImageTrainingException(String message) {
        super(message);
    }
}
