package org.minidiffusion.io.chart;

/**
 * The exponential moving average that charts draw over a noisy series.
 *
 * <p>It is TensorBoard's scalar smoothing: {@code m_k = w·m_{k-1} + (1 - w)·y_k} from
 * {@code m_0 = 0}, divided by {@code 1 - w^k} to remove the bias towards the zero start (the
 * correction of Adam's moments, Kingma and Ba 2015, section 3), where {@code k} counts the values
 * averaged so far. So the first smoothed value equals the first value, and a constant series stays
 * constant. Values that are skipped (NaN, infinite, or not positive on a logarithmic axis) do not
 * enter the average and get NaN.
 */
final class Smoothing {
    private Smoothing() {
    }

    /**
     * Returns the bias-corrected exponential moving average of the values marked usable.
     *
     * @param ys     the values
     * @param usable which values enter the average
     * @param weight the weight {@code w} of the past, in {@code [0, 1)}; 0 gives the values back
     * @return the averages, NaN where a value is not usable
     */
    static double[] ema(double[] ys, boolean[] usable, double weight) {
        if (!(weight >= 0 && weight < 1)) {
            throw new IllegalArgumentException("Smoothing.ema: weight must be in [0, 1), got " + weight);
        }
        double[] out = new double[ys.length];
        double m = 0;
        double decay = 1; // w^k
        for (int i = 0; i < ys.length; i++) {
            if (!usable[i]) {
                out[i] = Double.NaN;
                continue;
            }
            m = weight * m + (1 - weight) * ys[i];
            decay *= weight;
            out[i] = m / (1 - decay);
        }
        return out;
    }

    /**
     * Returns the weight used when a chart is given none: {@code 1 - 1/s} for a span {@code s} of
     * one hundredth of the points, so the average has a time constant of about 1% of the series
     * and lags a falling loss little; 0 (no smoothing) below 200 points.
     *
     * @param points the number of usable points
     * @return the weight
     */
    static double defaultWeight(int points) {
        int span = points / 100;
        return span <= 1 ? 0 : 1 - 1.0 / span;
    }
}
