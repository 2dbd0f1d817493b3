package org.minidiffusion.diffusion;

import org.minidiffusion.core.api.Tensor;

/**
 * Receives each finished step of a sampling loop, for progress bars or to look at intermediate
 * samples.
 *
 * <p>The loop reuses buffers from step to step (see {@link org.minidiffusion.core.api.Workspace}):
 * the sample a listener receives is valid until the next step ends. A listener that keeps it
 * longer copies its values with {@link Tensor#toArray()}; reading a sample after it has been
 * recycled throws {@link IllegalStateException}, it never shows another step's values. The last
 * sample, which the sampler returns, stays valid.
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
     * @param sample {@code x_tPrev}, valid until the next step ends unless copied
     */
    void onStep(int index, int count, int t, int tPrev, Tensor sample);
}
