package org.minidiffusion.diffusion;

import java.util.Arrays;
import java.util.function.DoubleUnaryOperator;
import org.minidiffusion.core.api.Rng;
import org.minidiffusion.core.api.Tensor;

/**
 * The forward (noising) process of DDPM for one beta schedule: {@code ᾱ_t} and friends, noisy
 * samples {@code x_t}, and the conversions between a model's output and {@code (x_0, ε)}.
 *
 * <p>Timesteps are 0-based: {@code t} runs over {@code 0 .. T−1}, and index {@code t} is the paper's
 * step {@code t + 1}. The tables are computed in double precision; the {@code float[]} accessors
 * return float32 copies. By convention {@link #alphaBar(int) alphaBar(−1)} is 1: the step after the
 * last one is the clean sample (diffusers' {@code set_alpha_to_one = True}).
 *
 * <p>Methods that take an {@code int[] t} use one timestep per batch element: {@code x0} is
 * {@code (B, ...)} and {@code t.length == B}. Instances are immutable.
 */
public final class NoiseSchedule {
    private final double[] betas;    // β_t
    private final double[] alphaBar; // ᾱ_t = Π_{s ≤ t} (1 − β_s)

    private NoiseSchedule(double[] betas) {
        this.betas = betas;
        this.alphaBar = new double[betas.length];
        double product = 1;
        for (int t = 0; t < betas.length; t++) {
            product *= 1 - betas[t];
            alphaBar[t] = product;
        }
    }

    /**
     * Returns the schedule of {@code kind} with DDPM's default {@code β} range, 1e-4 to 0.02.
     *
     * @param kind       the beta schedule
     * @param trainSteps T, such as 1000
     * @return the schedule
     */
    public static NoiseSchedule of(BetaSchedule kind, int trainSteps) {
        return of(kind, trainSteps, BetaSchedule.DEFAULT_BETA_START, BetaSchedule.DEFAULT_BETA_END);
    }

    /**
     * Returns the schedule of {@code kind} with a given {@code β} range.
     *
     * @param kind       the beta schedule
     * @param trainSteps T
     * @param betaStart  the first {@code β} (ignored by {@link BetaSchedule#COSINE})
     * @param betaEnd    the last {@code β} (ignored by {@link BetaSchedule#COSINE})
     * @return the schedule
     */
    public static NoiseSchedule of(BetaSchedule kind, int trainSteps, double betaStart, double betaEnd) {
        return new NoiseSchedule(kind.betas(trainSteps, betaStart, betaEnd));
    }

    /**
     * Returns the schedule of explicit betas.
     *
     * @param betas {@code β_0 .. β_{T−1}}, each in {@code (0, 1)}
     * @return the schedule
     * @throws IllegalArgumentException if there are none or one is out of range
     */
    public static NoiseSchedule fromBetas(double... betas) {
        if (betas.length == 0) {
            throw new IllegalArgumentException("NoiseSchedule: needs at least one beta");
        }
        for (int t = 0; t < betas.length; t++) {
            if (!(betas[t] > 0 && betas[t] < 1)) {
                throw new IllegalArgumentException("NoiseSchedule: beta[" + t + "] = " + betas[t] + " is not in (0, 1)");
            }
        }
        return new NoiseSchedule(betas.clone());
    }

    /**
     * Returns T, the number of diffusion steps the model is trained with.
     *
     * @return T
     */
    public int trainSteps() {
        return betas.length;
    }

    /**
     * Returns {@code ᾱ_t}, the fraction of signal variance left at step {@code t}.
     *
     * @param t a timestep in {@code [0, T)}, or −1 for the clean sample
     * @return {@code ᾱ_t}, and 1 for {@code t = −1}
     */
    public double alphaBar(int t) {
        if (t < -1 || t >= betas.length) {
            throw new IllegalArgumentException("NoiseSchedule: timestep " + t + " is outside [-1, " + betas.length + ")");
        }
        return t < 0 ? 1.0 : alphaBar[t];
    }

    /**
     * Returns the variance {@code β̃} of the posterior {@code q(x_tPrev | x_t, x_0)} (Ho et al.
     * eq. 7), generalised to a jump from {@code t} to any earlier {@code tPrev}:
     * {@code (1 − ᾱ_tPrev) / (1 − ᾱ_t) · (1 − ᾱ_t / ᾱ_tPrev)}. It is 0 for {@code tPrev = −1}, and
     * its square root is DDIM's {@code σ_t} at {@code η = 1} (Song et al. eq. 16).
     *
     * @param t     the current timestep
     * @param tPrev the next timestep of the sampler, smaller than {@code t}, or −1
     * @return the variance
     */
    public double posteriorVariance(int t, int tPrev) {
        double alphaBarT = alphaBar(t);
        double alphaBarPrev = alphaBar(tPrev);
        return (1 - alphaBarPrev) / (1 - alphaBarT) * (1 - alphaBarT / alphaBarPrev);
    }

    /**
     * Returns {@code β_t} as float32.
     *
     * @return a new array of T values
     */
    public float[] betas() {
        return toFloat(betas, b -> b);
    }

    /**
     * Returns {@code α_t = 1 − β_t} as float32.
     *
     * @return a new array of T values
     */
    public float[] alphas() {
        return toFloat(betas, b -> 1 - b);
    }

    /**
     * Returns {@code ᾱ_t = Π_{s ≤ t} α_s} as float32.
     *
     * @return a new array of T values
     */
    public float[] alphaBar() {
        return toFloat(alphaBar, a -> a);
    }

    /**
     * Returns {@code sqrt(ᾱ_t)} as float32.
     *
     * @return a new array of T values
     */
    public float[] sqrtAlphaBar() {
        return toFloat(alphaBar, Math::sqrt);
    }

    /**
     * Returns {@code sqrt(1 − ᾱ_t)} as float32.
     *
     * @return a new array of T values
     */
    public float[] sqrtOneMinusAlphaBar() {
        return toFloat(alphaBar, a -> Math.sqrt(1 - a));
    }

    /**
     * Draws one uniform training timestep per batch element, as in Ho et al. Algorithm 1.
     *
     * @param rng   the generator
     * @param batch B
     * @return B timesteps in {@code [0, T)}
     */
    public int[] randomTimesteps(Rng rng, int batch) {
        int[] t = new int[batch];
        for (int i = 0; i < batch; i++) {
            t[i] = rng.nextInt(betas.length);
        }
        return t;
    }

    /**
     * Samples {@code x_t ~ q(x_t | x_0)}: {@code sqrt(ᾱ_t)·x_0 + sqrt(1 − ᾱ_t)·ε} (Ho et al. eq. 4,
     * and Algorithm 1).
     *
     * @param x0    the clean samples, {@code (B, ...)}
     * @param noise {@code ε}, of the same shape
     * @param t     one timestep per sample
     * @return {@code x_t}, of the same shape
     */
    public Tensor qSample(Tensor x0, Tensor noise, int[] t) {
        return x0.mul(perSample(t, x0, Math::sqrt)).add(noise.mul(perSample(t, x0, a -> Math.sqrt(1 - a))));
    }

    /**
     * Returns the velocity {@code v = sqrt(ᾱ_t)·ε − sqrt(1 − ᾱ_t)·x_0} (Salimans and Ho 2022,
     * section 4), the target of {@link PredictionType#V_PREDICTION}.
     *
     * @param x0    the clean samples, {@code (B, ...)}
     * @param noise {@code ε}, of the same shape
     * @param t     one timestep per sample
     * @return {@code v}
     */
    public Tensor velocity(Tensor x0, Tensor noise, int[] t) {
        return target(PredictionType.V_PREDICTION, x0, noise, t);
    }

    /**
     * Returns what a model of the given prediction type should output for {@code x_t}: the
     * training target.
     *
     * @param type  the prediction type
     * @param x0    the clean samples, {@code (B, ...)}
     * @param noise the noise {@code ε} that made {@code x_t}
     * @param t     one timestep per sample
     * @return {@code ε}, {@code v} or {@code x_0}
     */
    public Tensor target(PredictionType type, Tensor x0, Tensor noise, int[] t) {
        return type.target(x0, noise, perSample(t, x0, Math::sqrt), perSample(t, x0, a -> Math.sqrt(1 - a)));
    }

    /**
     * Converts a model output at {@code x_t} into its estimates of {@code x_0} and {@code ε}.
     *
     * @param type        the prediction type the model was trained with
     * @param xt          the noisy samples, {@code (B, ...)}
     * @param modelOutput the model's output for them
     * @param t           one timestep per sample
     * @return the estimates
     */
    public Estimate estimate(PredictionType type, Tensor xt, Tensor modelOutput, int[] t) {
        return type.estimate(xt, modelOutput, perSample(t, xt, Math::sqrt), perSample(t, xt, a -> Math.sqrt(1 - a)));
    }

    /** Returns {@code f(ᾱ_t)} per sample as a {@code (B, 1, ..., 1)} tensor on {@code like}'s backend. */
    private Tensor perSample(int[] t, Tensor like, DoubleUnaryOperator f) {
        if (like.rank() == 0 || t.length != like.size(0)) {
            throw new IllegalArgumentException("NoiseSchedule: " + t.length + " timesteps for a batch of shape "
                    + like.shape() + "; give one per sample");
        }
        float[] values = new float[t.length];
        for (int i = 0; i < t.length; i++) {
            if (t[i] < 0 || t[i] >= betas.length) {
                throw new IllegalArgumentException("NoiseSchedule: timestep " + t[i] + " is outside [0, " + betas.length + ")");
            }
            values[i] = (float) f.applyAsDouble(alphaBar[t[i]]);
        }
        int[] shape = new int[like.rank()];
        Arrays.fill(shape, 1);
        shape[0] = t.length;
        return like.backend().of(values, shape);
    }

    private static float[] toFloat(double[] values, DoubleUnaryOperator f) {
        float[] out = new float[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = (float) f.applyAsDouble(values[i]);
        }
        return out;
    }
}
