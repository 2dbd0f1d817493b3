package org.minidiffusion.diffusion;

import org.minidiffusion.core.api.Tensor;

/**
 * What the network is trained to output at {@code x_t = sqrt(ᾱ)·x_0 + sqrt(1 − ᾱ)·ε}; diffusers'
 * {@code prediction_type}.
 *
 * <p>Each type gives its training target and the inverse map, from a model output back to
 * {@code (x_0, ε)}. The coefficients {@code sqrtAlphaBar = sqrt(ᾱ_t)} and
 * {@code sqrtOneMinusAlphaBar = sqrt(1 − ᾱ_t)} are tensors that broadcast against the samples: a
 * scalar for one timestep, or {@code (B, 1, ..., 1)} for one per sample.
 */
public enum PredictionType {
    /** The noise {@code ε}, as DDPM (Ho et al. eq. 14); diffusers' {@code epsilon}. */
    EPSILON {
        @Override
        public Tensor target(Tensor x0, Tensor noise, Tensor sqrtAlphaBar, Tensor sqrtOneMinusAlphaBar) {
            return noise;
        }

        @Override
        public Estimate estimate(Tensor xt, Tensor output, Tensor sqrtAlphaBar, Tensor sqrtOneMinusAlphaBar) {
            // x̂_0 = (x_t − sqrt(1 − ᾱ)·ε̂) / sqrt(ᾱ), Ho et al. eq. 15
            return new Estimate(xt.sub(output.mul(sqrtOneMinusAlphaBar)).div(sqrtAlphaBar), output);
        }
    },

    /**
     * The velocity {@code v = sqrt(ᾱ)·ε − sqrt(1 − ᾱ)·x_0} (Salimans and Ho 2022, section 4);
     * diffusers' {@code v_prediction}.
     */
    V_PREDICTION {
        @Override
        public Tensor target(Tensor x0, Tensor noise, Tensor sqrtAlphaBar, Tensor sqrtOneMinusAlphaBar) {
            return noise.mul(sqrtAlphaBar).sub(x0.mul(sqrtOneMinusAlphaBar));
        }

        @Override
        public Estimate estimate(Tensor xt, Tensor output, Tensor sqrtAlphaBar, Tensor sqrtOneMinusAlphaBar) {
            // x̂_0 = sqrt(ᾱ)·x_t − sqrt(1 − ᾱ)·v̂ and ε̂ = sqrt(ᾱ)·v̂ + sqrt(1 − ᾱ)·x_t
            Tensor x0 = xt.mul(sqrtAlphaBar).sub(output.mul(sqrtOneMinusAlphaBar));
            Tensor epsilon = output.mul(sqrtAlphaBar).add(xt.mul(sqrtOneMinusAlphaBar));
            return new Estimate(x0, epsilon);
        }
    },

    /** The clean sample {@code x_0} itself; diffusers' {@code sample}. */
    SAMPLE {
        @Override
        public Tensor target(Tensor x0, Tensor noise, Tensor sqrtAlphaBar, Tensor sqrtOneMinusAlphaBar) {
            return x0;
        }

        @Override
        public Estimate estimate(Tensor xt, Tensor output, Tensor sqrtAlphaBar, Tensor sqrtOneMinusAlphaBar) {
            // ε̂ = (x_t − sqrt(ᾱ)·x̂_0) / sqrt(1 − ᾱ), undefined where ᾱ = 1
            return new Estimate(output, xt.sub(output.mul(sqrtAlphaBar)).div(sqrtOneMinusAlphaBar));
        }
    };

    /**
     * Returns the training target for {@code x_t} made from {@code x0} and {@code noise}.
     *
     * @param x0                   the clean samples
     * @param noise                the noise {@code ε}
     * @param sqrtAlphaBar         {@code sqrt(ᾱ_t)}, broadcastable
     * @param sqrtOneMinusAlphaBar {@code sqrt(1 − ᾱ_t)}, broadcastable
     * @return the target, of the samples' shape
     */
    public abstract Tensor target(Tensor x0, Tensor noise, Tensor sqrtAlphaBar, Tensor sqrtOneMinusAlphaBar);

    /**
     * Converts a model output at {@code x_t} into estimates of {@code x_0} and {@code ε}.
     *
     * @param xt                   the noisy samples
     * @param output               the model's output
     * @param sqrtAlphaBar         {@code sqrt(ᾱ_t)}, broadcastable
     * @param sqrtOneMinusAlphaBar {@code sqrt(1 − ᾱ_t)}, broadcastable
     * @return the estimates
     */
    public abstract Estimate estimate(Tensor xt, Tensor output, Tensor sqrtAlphaBar, Tensor sqrtOneMinusAlphaBar);
}
