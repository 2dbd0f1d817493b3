package org.minidiffusion.diffusion;

import org.minidiffusion.core.api.Tensor;

/**
 * Receives each finished step of a sampling loop, for progress bars or to look at intermediate
 * samples.
 */
@FunctionalInterface
public interface ProgressListener {
    /** A listener that does nothing. */
    ProgressListener NONE = (index, count, t, tPrev, sample) -> { };

    /**
     * Called after step {@code index} has moved the sample from {@code t} to {@code tPrev}.
     *
     * @param index  the step just done, from 0
     * @param count  the number of steps of the loop
     * @param t      the timestep the step started from
     * @param tPrev  the timestep it reached, −1 after the last step
     * @param sample {@code x_tPrev}
     */
    void onStep(int index, int count, int t, int tPrev, Tensor sample);
}
