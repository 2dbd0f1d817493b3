package org.minidiffusion.dit;

import org.minidiffusion.core.api.Tensor;

/**
 * The sinusoidal timestep features of DiT and SD3: {@code [cos(t·ω_i), sin(t·ω_i)]} with
 * {@code ω_i = 10000^(−i/half)}, {@code i < half = dim/2} (Vaswani et al. 2017, section 3.5; DiT's
 * {@code timestep_embedding}; diffusers' {@code Timesteps(flip_sin_to_cos=True, downscale_freq_shift=0)}).
 * The features are computed in double and rounded once; timesteps carry no gradient.
 */
public final class Timesteps {
    /** The feature size both DiT and SD3 use. */
    public static final int DIM = 256;

    private Timesteps() {
    }

    /**
     * Returns the features of each timestep.
     *
     * @param t   timesteps {@code (B)}, any real values (SD3 uses {@code 1000·σ})
     * @param dim the feature size, even
     * @return {@code (B, dim)}
     */
    public static Tensor sinusoid(Tensor t, int dim) {
        if (t.rank() != 1) {
            throw new IllegalArgumentException("Timesteps: expects timesteps of shape (B), got " + t.shape());
        }
        if (dim <= 0 || dim % 2 != 0) {
            throw new IllegalArgumentException("Timesteps: the feature size must be positive and even, got " + dim);
        }
        float[] ts = t.toArray();
        int half = dim / 2;
        float[] out = new float[ts.length * dim];
        for (int b = 0; b < ts.length; b++) {
            for (int i = 0; i < half; i++) {
                double arg = ts[b] * Math.exp(-Math.log(10000.0) * i / half);
                out[b * dim + i] = (float) Math.cos(arg);
                out[b * dim + half + i] = (float) Math.sin(arg);
            }
        }
        return t.backend().of(out, ts.length, dim);
    }
}
