package org.minidiffusion.vae;

/** Thrown when the autoencoder's training loss, a weight or an optimiser moment becomes NaN or infinite. */
public final class VaeTrainingDivergedException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what happened and what to try
     */
    public VaeTrainingDivergedException(String message) {
        super(message);
    }
}
