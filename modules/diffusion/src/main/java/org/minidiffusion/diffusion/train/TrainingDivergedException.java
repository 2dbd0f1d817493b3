package org.minidiffusion.diffusion.train;

/** Thrown when the training loss becomes NaN or infinite. */
public final class TrainingDivergedException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what happened and what to try
     */
    public TrainingDivergedException(String message) {
        super(message);
    }
}
