package org.minidiffusion.diffusion.flow;

import org.minidiffusion.core.api.Tensor;

/**
 * An ODE solver for {@code dx/dσ = v(x, σ)}: one step from {@code σ} to {@code σ_next < σ}. With
 * {@link #EULER} it is diffusers' {@code FlowMatchEulerDiscreteScheduler}, with {@link #HEUN}
 * {@code FlowMatchHeunDiscreteScheduler} (both with {@code s_churn = 0}).
 */
public enum FlowSolver {
    /** First order, one velocity per step: {@code x ← x + (σ_next − σ)·v(x, σ)}. */
    EULER {
        @Override
        public Tensor step(Velocity v, double sigma, double sigmaNext, Tensor x) {
            return x.add(v.at(x, sigma).mul((float) (sigmaNext - sigma))); // explicit Euler
        }

        @Override
        public int evaluations(int steps) {
            return steps;
        }
    },

    /**
     * Second order (Karras et al. 2022, Algorithm 1 without churn): an Euler predictor, then the
     * trapezoidal corrector; the last step, to {@code σ_next = 0}, is Euler alone. Two velocities
     * per step, one on the last.
     */
    HEUN {
        @Override
        public Tensor step(Velocity v, double sigma, double sigmaNext, Tensor x) {
            float dt = (float) (sigmaNext - sigma);
            Tensor d = v.at(x, sigma);                           // d_i = v(x_i, σ_i), Algorithm 1 line 4
            Tensor predicted = x.add(d.mul(dt));                 // x̃ = x_i + (σ_next − σ_i)·d_i, line 5
            if (sigmaNext == 0) {
                return predicted;                                // line 6: no correction at σ = 0
            }
            Tensor dNext = v.at(predicted, sigmaNext);           // d'_i = v(x̃, σ_next), line 7
            return x.add(d.add(dNext).mul(0.5f * dt));           // x_i + (σ_next − σ_i)·(d_i + d'_i)/2, line 8
        }

        @Override
        public int evaluations(int steps) {
            return 2 * steps - 1;
        }
    };

    /** The velocity field the solver integrates, with guidance already applied. */
    @FunctionalInterface
    public interface Velocity {
        /**
         * Returns {@code v(x, σ)}.
         *
         * @param x     the sample at {@code σ}
         * @param sigma the noise level, in {@code [0, 1]}
         * @return the velocity, of the shape of {@code x}
         */
        Tensor at(Tensor x, double sigma);
    }

    /**
     * Takes one step.
     *
     * @param v         the velocity field
     * @param sigma     the current sigma
     * @param sigmaNext the next sigma, smaller; 0 on the last step
     * @param x         the sample at {@code sigma}
     * @return the sample at {@code sigmaNext}
     */
    public abstract Tensor step(Velocity v, double sigma, double sigmaNext, Tensor x);

    /**
     * Returns how many velocities a loop of {@code steps} steps evaluates (the last step always
     * ends at {@code σ = 0}).
     *
     * @param steps the number of steps
     * @return the number of model calls, guided or not
     */
    public abstract int evaluations(int steps);
}
