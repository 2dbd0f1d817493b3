package org.minidiffusion.transformer.clip;

/** Thrown when contrastive training cannot go on: the loss or a weight is NaN or infinite. */
public final class ClipTrainingException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what happened, at which step, and what was (not) changed or saved
     */
    public ClipTrainingException(String message) {
        super(message);
    }
}
