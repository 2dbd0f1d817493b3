package org.minidiffusion.io;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.Line2D;
import java.awt.geom.Path2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Draws training curves as PNG files.
 *
 * <p>The chart is deliberately plain and has no text: a white background, grey horizontal grid
 * lines, black axes and the series as a dark polyline. The y axis is logarithmic, with a grid
 * line at every power of ten, when all values are positive and span more than a factor of 100;
 * otherwise it is linear, with grid lines at quarters. For 50 points or more, the raw series is
 * drawn light and a centred moving average over about 4% of the points is drawn dark on top.
 * Non-finite values leave gaps.
 */
public final class Plot {
    private static final Color LINE = new Color(0x1f4e79);
    private static final Color RAW = new Color(0xa9c4e0);
    private static final Color GRID = new Color(0xe0e0e0);
    private static final int SMOOTH_FROM = 50;

    private Plot() {
    }

    /**
     * Writes a line chart of a loss per step, atomically.
     *
     * @param png    the PNG file to create or replace
     * @param losses the values, one per step, at least one finite
     * @param width  the image width in pixels, at least 16
     * @param height the image height in pixels, at least 16
     * @throws IllegalArgumentException if the size is too small or no value is finite
     * @throws IOException              naming the file if writing fails
     */
    public static void lossCurve(Path png, double[] losses, int width, int height) throws IOException {
        AtomicFiles.write(png, Images.encodePng(png, lossCurveImage(losses, width, height), false));
    }

    /**
     * Draws the chart that {@link #lossCurve} writes.
     *
     * @param losses the values
     * @param width  the width, at least 16
     * @param height the height, at least 16
     * @return the image
     */
    static BufferedImage lossCurveImage(double[] losses, int width, int height) {
        if (width < 16 || height < 16) {
            throw new IllegalArgumentException("lossCurve: size must be at least 16x16, got " + width + "x" + height);
        }
        boolean log = usesLogScale(losses);
        double[] ys = new double[losses.length];
        for (int i = 0; i < ys.length; i++) {
            ys[i] = Double.isFinite(losses[i]) ? (log ? Math.log10(losses[i]) : losses[i]) : Double.NaN;
        }
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        try {
            new Chart(g, width, height, ys).draw(log);
        } finally {
            g.dispose();
        }
        return image;
    }

    /**
     * Returns whether the chart of {@code losses} has a logarithmic y axis.
     *
     * @param losses the values
     * @return whether all finite values are positive and span more than a factor of 100
     */
    static boolean usesLogScale(double[] losses) {
        double min = Double.POSITIVE_INFINITY;
        double max = 0;
        for (double v : losses) {
            if (Double.isFinite(v)) {
                if (v <= 0) {
                    return false;
                }
                min = Math.min(min, v);
                max = Math.max(max, v);
            }
        }
        return max > 100 * min;
    }

    /** The geometry of one chart: plot area, value range and the mapping into pixels. */
    private static final class Chart {
        private final Graphics2D g;
        private final double[] ys;
        private final double left;
        private final double top;
        private final double right;
        private final double bottom;
        private double low = Double.POSITIVE_INFINITY;
        private double high = Double.NEGATIVE_INFINITY;

        Chart(Graphics2D g, int width, int height, double[] ys) {
            this.g = g;
            this.ys = ys;
            int margin = Math.max(4, Math.min(width, height) / 10);
            left = margin;
            top = margin;
            right = width - 1 - margin;
            bottom = height - 1 - margin;
            for (double y : ys) {
                if (!Double.isNaN(y)) {
                    low = Math.min(low, y);
                    high = Math.max(high, y);
                }
            }
            if (low > high) {
                throw new IllegalArgumentException("lossCurve: no finite value among " + ys.length + " losses");
            }
            double pad = high > low ? 0.05 * (high - low) : 0.5;
            low -= pad;
            high += pad;
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, width, height);
        }

        void draw(boolean log) {
            g.setStroke(new BasicStroke(1f));
            g.setColor(GRID);
            double step = log ? 1 : (high - low) / 4;
            for (double v = log ? Math.ceil(low) : low + step; v < high; v += step) {
                g.draw(new Line2D.Double(left, py(v), right, py(v)));
            }
            g.setColor(Color.BLACK);
            g.draw(new Line2D.Double(left, top, left, bottom));
            g.draw(new Line2D.Double(left, bottom, right, bottom));
            g.setStroke(new BasicStroke(1.5f, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND));
            if (ys.length >= SMOOTH_FROM) {
                polyline(ys, RAW);
                polyline(movingAverage(ys, ys.length / 50), LINE);
            } else {
                polyline(ys, LINE);
            }
        }

        private void polyline(double[] values, Color color) {
            Path2D.Double path = new Path2D.Double();
            boolean open = false;
            for (int i = 0; i < values.length; i++) {
                if (Double.isNaN(values[i])) {
                    open = false;
                } else if (open) {
                    path.lineTo(px(i), py(values[i]));
                } else {
                    path.moveTo(px(i), py(values[i]));
                    path.lineTo(px(i), py(values[i]));
                    open = true;
                }
            }
            g.setColor(color);
            g.draw(path);
        }

        private double px(int i) {
            return ys.length == 1 ? (left + right) / 2 : left + i * (right - left) / (ys.length - 1);
        }

        private double py(double v) {
            return bottom - (v - low) / (high - low) * (bottom - top);
        }
    }

    /**
     * Returns the centred moving average of the finite values within {@code radius} of each point.
     *
     * @param ys     the values, NaN for gaps
     * @param radius the half-width of the window
     * @return the averages, NaN where the window has no finite value
     */
    static double[] movingAverage(double[] ys, int radius) {
        double[] sum = new double[ys.length + 1];
        int[] count = new int[ys.length + 1];
        for (int i = 0; i < ys.length; i++) {
            boolean finite = !Double.isNaN(ys[i]);
            sum[i + 1] = sum[i] + (finite ? ys[i] : 0);
            count[i + 1] = count[i] + (finite ? 1 : 0);
        }
        double[] result = new double[ys.length];
        for (int i = 0; i < ys.length; i++) {
            int from = Math.max(0, i - radius);
            int to = Math.min(ys.length, i + radius + 1);
            int n = count[to] - count[from];
            result[i] = n == 0 ? Double.NaN : (sum[to] - sum[from]) / n;
        }
        return result;
    }
}
