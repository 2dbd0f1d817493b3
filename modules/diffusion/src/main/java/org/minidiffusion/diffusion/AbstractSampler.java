package org.minidiffusion.diffusion;

import org.minidiffusion.core.api.Tensor;

/**
 * The options DDPM and DDIM share: the schedule, the prediction type and {@code clip_sample}. A
 * subclass implements {@link #step} from {@link #estimate}.
 */
public abstract class AbstractSampler implements Sampler {
    private final NoiseSchedule schedule;
    private final PredictionType predictionType;
    private final boolean clipSample;

    /**
     * Sets the shared options.
     *
     * @param schedule       the schedule the model was trained with
     * @param predictionType what the model outputs
     * @param clipSample     whether to clamp each predicted {@code x_0} to {@code [−1, 1]}, for data
     *                       scaled to that range
     */
    protected AbstractSampler(NoiseSchedule schedule, PredictionType predictionType, boolean clipSample) {
        if (schedule == null || predictionType == null) {
            throw new IllegalArgumentException(getClass().getSimpleName() + ": schedule and prediction type are required");
        }
        this.schedule = schedule;
        this.predictionType = predictionType;
        this.clipSample = clipSample;
    }

    @Override
    public NoiseSchedule schedule() {
        return schedule;
    }

    /**
     * Returns what the model outputs.
     *
     * @return the prediction type
     */
    public PredictionType predictionType() {
        return predictionType;
    }

    /**
     * Returns whether predicted {@code x_0} is clamped to {@code [−1, 1]}.
     *
     * @return the {@code clip_sample} option
     */
    public boolean clipSample() {
        return clipSample;
    }

    /**
     * Converts the model output at {@code x_t} into {@code (x̂_0, ε̂)}, clamping {@code x̂_0} to
     * {@code [−1, 1]} if {@code clipSample} is set.
     *
     * @param modelOutput          the model output
     * @param t                    the timestep, in {@code [0, T)}
     * @param xt                   the current sample
     * @param epsilonFromClampedX0 after a clamp, true derives {@code ε̂} again from the clamped
     *                             {@code x̂_0} so that the pair still explains {@code x_t}; false
     *                             keeps the model's {@code ε̂}
     * @return the estimates
     */
    protected final Estimate estimate(Tensor modelOutput, int t, Tensor xt, boolean epsilonFromClampedX0) {
        double alphaBar = schedule.alphaBar(t);
        Tensor sqrtAlphaBar = scalar(xt, Math.sqrt(alphaBar));
        Tensor sqrtOneMinusAlphaBar = scalar(xt, Math.sqrt(1 - alphaBar));
        Estimate e = predictionType.estimate(xt, modelOutput, sqrtAlphaBar, sqrtOneMinusAlphaBar);
        if (!clipSample) {
            return e;
        }
        Tensor x0 = e.x0().clamp(-1f, 1f);
        // the x_0 model's conversion gives ε̂ = (x_t − sqrt(ᾱ_t)·x̂_0) / sqrt(1 − ᾱ_t)
        return epsilonFromClampedX0 ? PredictionType.SAMPLE.estimate(xt, x0, sqrtAlphaBar, sqrtOneMinusAlphaBar)
                : new Estimate(x0, e.epsilon());
    }

    /**
     * Checks that a step goes from a valid timestep to an earlier one or to −1.
     *
     * @param t     the current timestep
     * @param tPrev the target timestep
     * @throws IllegalArgumentException otherwise
     */
    protected final void checkStep(int t, int tPrev) {
        if (t < 0 || t >= schedule.trainSteps() || tPrev < -1 || tPrev >= t) {
            throw new IllegalArgumentException(getClass().getSimpleName() + ": cannot step from t = " + t
                    + " to " + tPrev + "; need 0 <= t < " + schedule.trainSteps() + " and -1 <= tPrev < t");
        }
    }

    private static Tensor scalar(Tensor like, double value) {
        return like.backend().full((float) value);
    }
}
