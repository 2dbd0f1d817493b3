package org.minidiffusion.vae;

import org.minidiffusion.core.api.Rng;
import org.minidiffusion.core.api.ShapeException;
import org.minidiffusion.core.api.Tensor;

/**
 * The posterior {@code q(z | x) = N(mean, diag(exp(logvar)))} that the encoder outputs (Kingma and
 * Welling 2014, section 2.4; Rombach et al. 2022, section 3), as diffusers'
 * {@code DiagonalGaussianDistribution}: the first half of the channels is the mean, the second half
 * the log-variance, clamped to {@code [-30, 20]}.
 */
public final class DiagonalGaussianDistribution {
    /** The log-variance is clamped to {@code [LOGVAR_MIN, LOGVAR_MAX]}, as diffusers does. */
    public static final float LOGVAR_MIN = -30f;
    /** The upper clamp of the log-variance. */
    public static final float LOGVAR_MAX = 20f;

    private final Tensor mean;   // (N, C, h, w)
    private final Tensor logvar; // (N, C, h, w), clamped
    private final Tensor std;    // exp(logvar / 2)
    private final Tensor var;    // exp(logvar)

    /**
     * Splits the moments into mean and log-variance.
     *
     * @param moments {@code (N, 2C, h, w)}: the mean in channels {@code [0, C)}, the log-variance in {@code [C, 2C)}
     */
    public DiagonalGaussianDistribution(Tensor moments) {
        if (moments.rank() != 4 || moments.size(1) % 2 != 0) {
            throw new ShapeException("DiagonalGaussianDistribution",
                    "expects moments (N, 2C, h, w) with the mean and the log-variance as channel halves", moments.shape());
        }
        int c = moments.size(1) / 2;
        this.mean = moments.narrow(1, 0, c);
        this.logvar = moments.narrow(1, c, c).clamp(LOGVAR_MIN, LOGVAR_MAX);
        this.std = logvar.mul(0.5f).exp();
        this.var = logvar.exp();
    }

    /**
     * Returns the mean.
     *
     * @return {@code (N, C, h, w)}
     */
    public Tensor mean() {
        return mean;
    }

    /**
     * Returns the clamped log-variance.
     *
     * @return {@code (N, C, h, w)}, within {@code [-30, 20]}
     */
    public Tensor logvar() {
        return logvar;
    }

    /**
     * Returns the standard deviation {@code exp(logvar / 2)}.
     *
     * @return {@code (N, C, h, w)}
     */
    public Tensor std() {
        return std;
    }

    /**
     * Returns the variance {@code exp(logvar)}.
     *
     * @return {@code (N, C, h, w)}
     */
    public Tensor var() {
        return var;
    }

    /**
     * Returns the most likely latent, the mean.
     *
     * @return {@code (N, C, h, w)}
     */
    public Tensor mode() {
        return mean;
    }

    /**
     * Draws {@code z = mean + std · eps} with {@code eps ~ N(0, I)} from {@code rng}, on the mean's backend.
     *
     * @param rng the seeded generator; the same seed gives the same sample on every backend
     * @return {@code (N, C, h, w)}, differentiable in the mean and the log-variance
     */
    public Tensor sample(Rng rng) {
        int[] dims = mean.shape().toArray();
        return sample(mean.backend().randn(rng, dims));
    }

    /**
     * Returns {@code z = mean + std · eps} for a given noise, the reparameterisation trick (Kingma
     * and Welling 2014, eq. 10), so gradients reach the mean and the log-variance.
     *
     * @param eps standard normal noise of the mean's shape
     * @return {@code (N, C, h, w)}
     */
    public Tensor sample(Tensor eps) {
        if (!eps.shape().equals(mean.shape())) {
            throw new ShapeException("DiagonalGaussianDistribution.sample", "eps must have the mean's shape",
                    mean.shape(), eps.shape());
        }
        return mean.add(std.mul(eps));
    }

    /**
     * Returns the KL divergence to the prior {@code N(0, I)} per sample (Kingma and Welling 2014,
     * appendix B): {@code 0.5 · sum(mean² + var − 1 − logvar)} over the channels and positions.
     *
     * @return {@code (N)}
     */
    public Tensor kl() {
        return mean.mul(mean).add(var).sub(1f).sub(logvar).sum(new int[] {1, 2, 3}, false).mul(0.5f);
    }
}
