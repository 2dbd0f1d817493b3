package org.minidiffusion.diffusion.flow;

import java.util.Arrays;
import org.minidiffusion.core.api.Tensor;

/**
 * The training side of flow matching: the forward process, the velocity target and the loss.
 *
 * <pre>{@code
 * double[] t = TimestepDistribution.logitNormal(0, 1).sample(rng, batch);   // SD3's training times
 * Tensor noise = Tensor.randn(rng, x0.shape().toArray());
 * float[] timesteps = new float[batch];                                    // the model reads σ·T
 * for (int i = 0; i < batch; i++) timesteps[i] = (float) (t[i] * 1000);
 * Tensor v = model.predict(FlowMatching.noisy(x0, noise, t), timesteps, labels);
 * FlowMatching.loss(v, x0, noise).backward();
 * }</pre>
 */
public final class FlowMatching {
    private FlowMatching() {
    }

    /**
     * Returns {@code x_t = (1 − t)·x_0 + t·ε} per sample (Liu et al. 2023 eq. 1; Esser et al.
     * 2024 eq. 2 with {@code a_t = 1 − t}, {@code b_t = t}; diffusers' {@code scale_noise}).
     *
     * @param x0    the clean samples, {@code (B, ...)}
     * @param noise {@code ε}, of the same shape
     * @param t     one time per sample, in {@code [0, 1]}
     * @return {@code x_t}, of the same shape
     */
    public static Tensor noisy(Tensor x0, Tensor noise, double[] t) {
        checkSameShape("noisy", x0, noise);
        for (int i = 0; i < t.length; i++) {
            if (!(t[i] >= 0 && t[i] <= 1)) {
                throw new IllegalArgumentException("FlowMatching.noisy: time " + t[i] + " of sample " + i
                        + " is outside [0, 1]");
            }
        }
        double[] oneMinusT = Arrays.stream(t).map(s -> 1 - s).toArray();
        return x0.mul(perSample(oneMinusT, x0)).add(noise.mul(perSample(t, x0)));
    }

    /**
     * Returns the velocity {@code v = dx_t/dt = ε − x_0} of the straight path (Lipman et al. 2023
     * eq. 23 with {@code σ_min = 0}; Liu et al. 2023 eq. 1).
     *
     * @param x0    the clean samples
     * @param noise {@code ε}, of the same shape
     * @return the target velocity
     */
    public static Tensor velocityTarget(Tensor x0, Tensor noise) {
        checkSameShape("velocityTarget", x0, noise);
        return noise.sub(x0);
    }

    /**
     * Returns the conditional flow-matching loss {@code mean((v̂ − (ε − x_0))²)} over every element
     * (Lipman et al. 2023 eq. 9 and 23; Esser et al. 2024 eq. 11), recorded for backward.
     *
     * @param predicted the model's velocity at {@code x_t}
     * @param x0        the clean samples
     * @param noise     the noise that made {@code x_t}
     * @return a scalar tensor
     */
    public static Tensor loss(Tensor predicted, Tensor x0, Tensor noise) {
        checkSameShape("loss", predicted, x0);
        Tensor diff = predicted.sub(velocityTarget(x0, noise));
        return diff.mul(diff).mean();
    }

    /** Returns {@code values} as a {@code (B, 1, ..., 1)} tensor on {@code like}'s backend. */
    private static Tensor perSample(double[] values, Tensor like) {
        if (like.rank() == 0 || values.length != like.size(0)) {
            throw new IllegalArgumentException("FlowMatching: " + values.length + " times for a batch of shape "
                    + like.shape() + "; give one per sample");
        }
        float[] v = new float[values.length];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) values[i];
        }
        int[] shape = new int[like.rank()];
        Arrays.fill(shape, 1);
        shape[0] = values.length;
        return like.backend().of(v, shape);
    }

    private static void checkSameShape(String op, Tensor a, Tensor b) {
        if (!a.shape().equals(b.shape())) {
            throw new IllegalArgumentException("FlowMatching." + op + ": shapes differ, " + a.shape() + " and "
                    + b.shape());
        }
    }
}
