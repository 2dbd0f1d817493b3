package org.minidiffusion.vae;

import org.minidiffusion.core.api.Tensor;

/**
 * The mean and standard deviation of latents over a data set, for the latent scaling of the
 * diffusion model: {@code shift_factor = mean} and {@code scaling_factor = 1 / std}, so that
 * {@code (z − shift_factor) · scaling_factor} has zero mean and unit variance over the data
 * (Rombach et al. 2022, appendix G: "we rescale the latents by the component-wise standard deviation";
 * SD3 adds the shift). One scalar each, over every channel and position, as diffusers stores them.
 *
 * <p>Sums are kept in double precision, with the second moment about a reference value (the mean
 * of the first batch) so that the variance of latents far from zero loses no precision.
 */
public final class LatentStatistics {
    private long count;
    private double reference = Double.NaN;
    private double sum;        // sum of (z − reference)
    private double sumSquares; // sum of (z − reference)²

    /**
     * Adds latents.
     *
     * @param latents any shape; every element counts once
     * @throws IllegalArgumentException if a value is NaN or infinite
     */
    public void add(Tensor latents) {
        float[] z = latents.toArray();
        if (z.length == 0) {
            return;
        }
        if (count == 0) {
            double first = 0;
            for (float v : z) {
                first += v;
            }
            reference = first / z.length;
        }
        for (int i = 0; i < z.length; i++) {
            if (!Float.isFinite(z[i])) {
                throw new IllegalArgumentException("LatentStatistics.add: latent value [" + i + "] of "
                        + latents.shape() + " is " + z[i]);
            }
            double d = z[i] - reference;
            sum += d;
            sumSquares += d * d;
        }
        count += z.length;
    }

    /**
     * Returns the number of values added.
     *
     * @return the count
     */
    public long count() {
        return count;
    }

    /**
     * Returns the mean of the values added.
     *
     * @return the mean
     * @throws IllegalStateException if nothing was added
     */
    public double mean() {
        requireValues();
        return reference + sum / count;
    }

    /**
     * Returns the population standard deviation of the values added.
     *
     * @return {@code sqrt(mean((z − mean)²))}
     * @throws IllegalStateException if nothing was added
     */
    public double std() {
        requireValues();
        double m = sum / count;
        return Math.sqrt(Math.max(0, sumSquares / count - m * m));
    }

    /**
     * Returns the {@code shift_factor}: the mean.
     *
     * @return the shift, as a float
     */
    public float shiftFactor() {
        return (float) mean();
    }

    /**
     * Returns the {@code scaling_factor}: one over the standard deviation.
     *
     * @return the scale, as a float
     * @throws IllegalStateException if nothing was added or every value is the same
     */
    public float scalingFactor() {
        double std = std();
        if (!(std > 0)) {
            throw new IllegalStateException("LatentStatistics: the " + count + " latent values are all equal ("
                    + mean() + "), so no scaling gives them unit variance");
        }
        return (float) (1.0 / std);
    }

    private void requireValues() {
        if (count == 0) {
            throw new IllegalStateException("LatentStatistics: no latents were added");
        }
    }
}
