package org.minidiffusion.diffusion;

import org.minidiffusion.core.api.Tensor;

/**
 * Ancestral sampling of DDPM (Ho et al. 2020, Algorithm 2), through the predicted {@code x_0} so
 * that {@code clip_sample} can act, with the "fixed small" variance {@code σ_t² = β̃_t}, as
 * diffusers' {@code DDPMScheduler}.
 *
 * <p>With fewer steps than T, a step from {@code t} to {@code tPrev} uses
 * {@code α_t = ᾱ_t / ᾱ_tPrev} and {@code β_t = 1 − α_t}, the exact posterior of that jump.
 */
public final class DdpmSampler extends AbstractSampler {

    /**
     * Creates the sampler.
     *
     * @param schedule       the schedule the model was trained with
     * @param predictionType what the model outputs
     * @param clipSample     whether to clamp predicted {@code x_0} to {@code [−1, 1]}
     */
    public DdpmSampler(NoiseSchedule schedule, PredictionType predictionType, boolean clipSample) {
        super(schedule, predictionType, clipSample);
    }

    @Override
    public Tensor step(Tensor modelOutput, int t, int tPrev, Tensor xt, NoiseSource noise) {
        checkStep(t, tPrev);
        double alphaBar = schedule().alphaBar(t);
        double alphaBarPrev = schedule().alphaBar(tPrev); // 1 after the last step
        double alpha = alphaBar / alphaBarPrev;           // α_t of this (possibly strided) step
        double beta = 1 - alpha;
        Tensor x0 = estimate(modelOutput, t, xt, false).x0(); // eq. 15, clamped if clipSample

        // posterior mean μ̃_t(x_t, x_0), eq. 7
        double x0Coefficient = Math.sqrt(alphaBarPrev) * beta / (1 - alphaBar);
        double xtCoefficient = Math.sqrt(alpha) * (1 - alphaBarPrev) / (1 - alphaBar);
        Tensor mean = x0.mul((float) x0Coefficient).add(xt.mul((float) xtCoefficient));

        // x_{t−1} = μ̃ + σ_t·z with σ_t² = β̃_t (eq. 7); σ = 0 at the last step, which adds no noise
        double sigma = Math.sqrt(schedule().posteriorVariance(t, tPrev));
        return sigma > 0 ? mean.add(noise.next(xt).mul((float) sigma)) : mean;
    }
}
