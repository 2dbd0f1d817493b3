package org.minidiffusion.diffusion;

import org.minidiffusion.core.api.Rng;
import org.minidiffusion.core.api.Tensor;

/**
 * A reverse-process sampler: one step from {@code x_t} to {@code x_tPrev}. The loop around the
 * steps (timesteps, guidance, no-grad, progress) is shared, so a new sampler only implements
 * {@link #step}; {@link AbstractSampler} holds the usual options.
 *
 * <p><b>Determinism.</b> {@link #sample(Denoiser, SampleRequest, Rng)} draws {@code x_T} from the
 * generator first, then the noise of each step that needs some, in step order. The same seed
 * gives the same samples on every backend (up to float rounding).
 */
public interface Sampler {
    /**
     * Returns the noise schedule the model was trained with.
     *
     * @return the schedule
     */
    NoiseSchedule schedule();

    /**
     * Takes one reverse step.
     *
     * @param modelOutput the (guided) model output at {@code x_t}
     * @param t           the current timestep
     * @param tPrev       the next timestep of the loop, smaller than {@code t}: the next entry of
     *                    the timestep array, or −1 for the last step, which returns {@code x_0}
     * @param xt          the current sample
     * @param noise       the source of fresh noise; a step draws at most one tensor, and only
     *                    when it adds noise
     * @return {@code x_tPrev}
     */
    Tensor step(Tensor modelOutput, int t, int tPrev, Tensor xt, NoiseSource noise);

    /**
     * Generates samples from pure noise {@code x_T ~ N(0, I)} drawn from {@code rng}.
     *
     * @param model   the network
     * @param request the shape, steps and guidance
     * @param rng     the generator for {@code x_T} and for every step's noise
     * @return {@code x_0}, of the request's shape, on the current backend
     */
    default Tensor sample(Denoiser model, SampleRequest request, Rng rng) {
        Tensor xT = Tensor.randn(rng, request.shape());
        return sample(model, request, xT, NoiseSource.of(rng));
    }

    /**
     * Runs the reverse process from a given {@code x_T} with a given noise source: the whole loop,
     * with no autograd recording, in a {@link org.minidiffusion.core.api.Workspace} so that every
     * step reuses the buffers of the step before. A {@link Denoiser} therefore must not keep a
     * tensor it computed in one call for the next (create caches outside the loop).
     *
     * @param model   the network
     * @param request the steps and guidance; its shape must be that of {@code xT}
     * @param xT      the starting sample
     * @param noise   the per-step noise
     * @return {@code x_0}
     */
    default Tensor sample(Denoiser model, SampleRequest request, Tensor xT, NoiseSource noise) {
        return SamplingLoop.run(this, model, request, xT, noise);
    }
}
