package org.minidiffusion.vae;

import org.minidiffusion.core.api.Rng;
import org.minidiffusion.core.api.ShapeException;
import org.minidiffusion.core.api.Tensor;

/**
 * The training loss of the KL autoencoder: the negative evidence lower bound of Kingma and Welling
 * (2014, eq. 10, the SGVB estimator with one sample and the KL term in closed form, appendix B),
 * with a Gaussian decoder and a weight {@code beta} on the KL term, per image:
 * <pre>
 *   L(x) = (1 / P) · [ sum_pixels (D(z) − x)² + beta · KL(q(z | x) || N(0, I)) ],   z = mean + std · eps
 * </pre>
 * averaged over the batch, where {@code P = C·H·W} is the number of pixel values of an image.
 *
 * <p>The reconstruction term is the squared error (a Gaussian decoder {@code p(x | z) = N(D(z), σ² I)}:
 * {@code −log p(x | z) = sum (D(z) − x)² / 2σ² + const}, so {@code beta = 2σ²} gives the ELBO
 * itself); it is what reconstruction PSNR measures, {@code 10 log10(1 / MSE)}. The reconstruction is
 * summed over the pixels of an image and the KL term over its latent, as in the autoencoder loss of
 * latent diffusion (Rombach et al. 2022, appendix G; {@code beta} is its {@code kl_weight}, 1e-6
 * there); dividing both by {@code P} only makes the loss read as a per-pixel mean squared error.
 */
public final class VaeObjective {
    /** The largest KL weight accepted. */
    public static final float MAX_BETA = 1e6f;

    private final float beta;

    /**
     * The loss and its two terms, for one batch.
     *
     * @param loss           the scalar to minimise, {@code reconstruction + beta · kl / P}
     * @param reconstruction the mean squared error per pixel value, a scalar
     * @param kl             the KL divergence of the posterior from {@code N(0, I)} per image, averaged over
     *                       the batch (in nats), a scalar
     * @param decoded        the decoded sample {@code D(z)}, {@code (N, out_channels, H, W)}
     */
    public record Terms(Tensor loss, Tensor reconstruction, Tensor kl, Tensor decoded) {
    }

    /**
     * Creates the objective.
     *
     * @param beta the weight of the KL term, in {@code [0, MAX_BETA]}
     * @throws IllegalArgumentException if {@code beta} is out of range or not finite
     */
    public VaeObjective(float beta) {
        if (!(beta >= 0f && beta <= MAX_BETA)) {
            throw new IllegalArgumentException("VaeObjective: beta must be a finite number in [0, " + MAX_BETA
                    + "], got " + beta);
        }
        this.beta = beta;
    }

    /**
     * Returns the weight of the KL term.
     *
     * @return beta
     */
    public float beta() {
        return beta;
    }

    /**
     * Evaluates the loss on a batch, drawing the reparameterisation noise from {@code rng}.
     *
     * @param vae the autoencoder
     * @param x   images {@code (N, in_channels, H, W)}, the autoencoder's input and the reconstruction target
     * @param rng the generator of {@code eps ~ N(0, I)}
     * @return the loss and its terms, differentiable in the autoencoder's parameters
     */
    public Terms evaluate(AutoencoderKL vae, Tensor x, Rng rng) {
        DiagonalGaussianDistribution posterior = vae.encode(x);
        return terms(vae, x, posterior, posterior.sample(rng));
    }

    /**
     * Evaluates the loss on a batch with given reparameterisation noise.
     *
     * @param vae the autoencoder
     * @param x   images {@code (N, in_channels, H, W)}
     * @param eps standard normal noise of the latent's shape
     * @return the loss and its terms, differentiable in the autoencoder's parameters
     */
    public Terms evaluate(AutoencoderKL vae, Tensor x, Tensor eps) {
        DiagonalGaussianDistribution posterior = vae.encode(x);
        return terms(vae, x, posterior, posterior.sample(eps));
    }

    private Terms terms(AutoencoderKL vae, Tensor x, DiagonalGaussianDistribution posterior, Tensor z) {
        Tensor decoded = vae.decode(z);                         // (N, out_channels, H, W)
        if (!decoded.shape().equals(x.shape())) {
            throw new ShapeException("VaeObjective", "the reconstruction target must have the decoder's output shape"
                    + " (in_channels = out_channels)", x.shape(), decoded.shape());
        }
        int pixels = x.numel() / x.size(0);                    // P = C·H·W
        Tensor diff = decoded.sub(x);
        Tensor reconstruction = diff.mul(diff).mean();          // (1 / N P) sum (D(z) − x)²
        Tensor kl = posterior.kl().mean();                      // (1 / N) sum_n KL_n, appendix B
        Tensor loss = beta == 0f ? reconstruction : reconstruction.add(kl.mul(beta / pixels));
        return new Terms(loss, reconstruction, kl, decoded);
    }
}
