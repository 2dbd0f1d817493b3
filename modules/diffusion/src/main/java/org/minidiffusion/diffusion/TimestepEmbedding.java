package org.minidiffusion.diffusion;

import org.minidiffusion.core.api.Tensor;

/**
 * The sinusoidal encoding of timesteps that a network receives alongside {@code x_t}.
 */
public final class TimestepEmbedding {
    private static final double MAX_PERIOD = 10000;

    private TimestepEmbedding() {
    }

    /**
     * Returns the sinusoidal timestep embedding of DDPM (Ho et al. 2020, appendix B; Vaswani et al.
     * 2017, section 3.5): with {@code h = dim / 2} and frequencies
     * {@code ω_i = 10000^(−i / (h − 1))} for {@code i = 0 .. h−1}, row {@code b} is
     * {@code [sin(t_b·ω_0) .. sin(t_b·ω_{h−1}), cos(t_b·ω_0) .. cos(t_b·ω_{h−1})]}.
     *
     * <p>This is DDPM's own {@code get_timestep_embedding} and diffusers' with its defaults
     * {@code flip_sin_to_cos = False, downscale_freq_shift = 1}: sines first, and the lowest
     * frequency is exactly {@code 1/10000}. (Stable Diffusion's U-Net uses cosines first and
     * {@code i / h}.) Values are computed in double precision, then rounded to float32.
     *
     * @param t   one timestep per sample, {@code t.length = B}
     * @param dim the embedding size, even and at least 4
     * @return a {@code (B, dim)} tensor on the current backend
     * @throws IllegalArgumentException if {@code dim} is odd or less than 4
     */
    public static Tensor sinusoidal(int[] t, int dim) {
        if (dim < 4 || dim % 2 != 0) {
            throw new IllegalArgumentException("TimestepEmbedding: dim must be even and at least 4, got " + dim);
        }
        int half = dim / 2;
        float[] values = new float[t.length * dim];
        for (int b = 0; b < t.length; b++) {
            for (int i = 0; i < half; i++) {
                double frequency = Math.exp(-Math.log(MAX_PERIOD) * i / (half - 1));
                double angle = t[b] * frequency;
                values[b * dim + i] = (float) Math.sin(angle);
                values[b * dim + half + i] = (float) Math.cos(angle);
            }
        }
        return Tensor.of(values, t.length, dim);
    }
}
