package org.minidiffusion.vae;

import org.minidiffusion.core.api.ShapeException;
import org.minidiffusion.core.api.Tensor;

/**
 * Peak signal-to-noise ratio, the reconstruction measure of image autoencoders, for pixel values
 * in {@code [0, 1]} (peak 1): {@code PSNR = 10 · log10(1 / MSE)} in decibels.
 */
public final class Psnr {
    private Psnr() {
    }

    /**
     * Returns the PSNR of a mean squared error, for pixels in {@code [0, 1]}.
     *
     * @param mse the mean squared error, at least 0
     * @return {@code 10 · log10(1 / mse)} in dB; positive infinity for a perfect reconstruction
     * @throws IllegalArgumentException if {@code mse} is negative or NaN
     */
    public static double fromMse(double mse) {
        if (!(mse >= 0)) {
            throw new IllegalArgumentException("Psnr.fromMse: the mean squared error must be >= 0, got " + mse);
        }
        return -10.0 * Math.log10(mse);
    }

    /**
     * Returns the mean squared error of each image.
     *
     * @param reference      images {@code (N, C, H, W)}
     * @param reconstruction images of the same shape
     * @return {@code N} values, each the mean over {@code C·H·W} of the squared differences, in double precision
     */
    public static double[] meanSquaredErrors(Tensor reference, Tensor reconstruction) {
        if (reference.rank() < 1 || !reference.shape().equals(reconstruction.shape())) {
            throw new ShapeException("Psnr", "expects two batches of images of one shape (N, ...)", reference.shape(),
                    reconstruction.shape());
        }
        int n = reference.size(0);
        float[] a = reference.toArray();
        float[] b = reconstruction.toArray();
        int per = n == 0 ? 0 : a.length / n;
        double[] mse = new double[n];
        for (int i = 0; i < n; i++) {
            double s = 0;
            for (int j = i * per; j < (i + 1) * per; j++) {
                double d = (double) a[j] - b[j];
                s += d * d;
            }
            mse[i] = s / per;
        }
        return mse;
    }
}
