package org.minidiffusion.io.chart;

import java.math.BigDecimal;
import java.math.MathContext;
import java.util.ArrayList;
import java.util.List;

/**
 * A line chart with a title, labelled axes, nice ticks, a grid and a legend, rendered to pixels.
 *
 * <p>Each series is drawn twice: its raw values as a faint line, and their exponential moving
 * average ({@link Smoothing}, TensorBoard's bias-corrected EMA) as a bold line of the same colour.
 * The y axis may be logarithmic, as loss curves read best. Ticks are Heckbert's nice numbers
 * (see {@link Ticks}). A value that cannot be drawn (NaN, infinite, or not positive on a
 * logarithmic axis) leaves a gap in the raw line, is left out of the average, and is counted in a
 * note under the legend, such as {@code loss: 2 non-finite values skipped}.
 *
 * <pre>{@code
 * RgbImage image = LineChart.builder(800, 400)
 *         .title("train: loss per step").xLabel("step").yLabel("loss (log scale)").logY(true)
 *         .series("loss", losses)
 *         .build()
 *         .render();
 * }</pre>
 */
public final class LineChart {
    /** The smallest width a chart may have. */
    public static final int MIN_WIDTH = 160;
    /** The smallest height a chart may have. */
    public static final int MIN_HEIGHT = 100;

    static final int BACKGROUND = 0xffffff;
    static final int INK = 0x000000;
    static final int LABEL = 0x222222;
    static final int GRID = 0xe4e4e4;
    static final int FRAME = 0xb4b4b4;
    static final int NOTE = 0x666666;
    static final int[] PALETTE = {0x1f77b4, 0xd62728, 0x2ca02c, 0xff7f0e, 0x9467bd, 0x8c564b};
    static final int TICK_LENGTH = 4;

    private final int width;
    private final int height;
    private final String title;
    private final String xLabel;
    private final String yLabel;
    private final boolean logY;
    private final List<Series> series;
    private final List<String> notes;

    private LineChart(Builder b) {
        this.width = b.width;
        this.height = b.height;
        this.title = b.title;
        this.xLabel = b.xLabel;
        this.yLabel = b.yLabel;
        this.logY = b.logY;
        this.series = List.copyOf(b.series);
        List<String> found = new ArrayList<>();
        for (Series s : series) {
            int nonFinite = 0;
            int nonPositive = 0;
            for (int i = 0; i < s.ys.length; i++) {
                if (!Double.isFinite(s.xs[i]) || !Double.isFinite(s.ys[i])) {
                    nonFinite++;
                } else if (logY && s.ys[i] <= 0) {
                    nonPositive++;
                }
            }
            if (nonFinite > 0) {
                found.add(s.name + ": " + nonFinite + " non-finite value" + (nonFinite == 1 ? "" : "s") + " skipped");
            }
            if (nonPositive > 0) {
                found.add(s.name + ": " + nonPositive + " value" + (nonPositive == 1 ? "" : "s")
                        + " <= 0 skipped (log scale)");
            }
        }
        this.notes = List.copyOf(found);
    }

    /**
     * Starts a chart of the given size.
     *
     * @param width  the width in pixels, at least {@link #MIN_WIDTH}
     * @param height the height in pixels, at least {@link #MIN_HEIGHT}
     * @return a builder
     * @throws IllegalArgumentException if the size is smaller
     */
    public static Builder builder(int width, int height) {
        if (width < MIN_WIDTH || height < MIN_HEIGHT) {
            throw new IllegalArgumentException("LineChart: size must be at least " + MIN_WIDTH + "x" + MIN_HEIGHT
                    + ", got " + width + "x" + height);
        }
        return new Builder(width, height);
    }

    /**
     * Returns the notes shown under the legend: how many values of each series were skipped.
     *
     * @return the notes, empty if every value was drawn
     */
    public List<String> notes() {
        return notes;
    }

    /**
     * Draws the chart.
     *
     * @return the image, {@code width x height} RGB pixels
     */
    public RgbImage render() {
        return draw().image();
    }

    /** Draws the chart and returns it with the geometry that tests check. */
    Drawing draw() {
        Canvas canvas = new Canvas(width, height, BACKGROUND);
        List<Text> texts = new ArrayList<>();
        int lineHeight = BitmapFont.HEIGHT + 2;

        // Vertical layout: title, plot area, tick labels, x-axis label.
        int top = title.isEmpty() ? 12 : 8 + lineHeight + 8;
        int bottom = height - 1 - (TICK_LENGTH + 3 + BitmapFont.HEIGHT + (xLabel.isEmpty() ? 0 : 6 + BitmapFont.HEIGHT) + 6);

        // The y ticks depend only on the plot's height; their labels' width sets the left margin.
        Range ys = yRange();
        int plotHeight = bottom - top;
        Ticks yTicks = logY
                ? Ticks.logarithmic(ys.min, ys.max, Math.max(2, plotHeight / 24))
                : Ticks.linear(ys.min, ys.max, Math.max(2, plotHeight / 32), false);
        int labelWidth = 0;
        for (String label : yTicks.labels()) {
            labelWidth = Math.max(labelWidth, BitmapFont.width(label));
        }
        int left = 6 + (yLabel.isEmpty() ? 0 : BitmapFont.HEIGHT + 6) + labelWidth + 3 + TICK_LENGTH;
        Range xs = xRange();
        int right = width - 1 - 12;
        Ticks xTicks = Ticks.linear(xs.min, xs.max, Math.max(2, (right - left) / 64), xs.integers);
        String lastLabel = xTicks.labels().get(xTicks.labels().size() - 1);
        right = Math.min(right, width - 1 - BitmapFont.width(lastLabel) / 2 - 4);
        Canvas.Rect plot = new Canvas.Rect(left, top, right, bottom);
        Mapping map = new Mapping(plot, xTicks, yTicks, logY);

        // Grid, then ticks and their labels.
        int[] xPixels = new int[xTicks.values().size()];
        for (int i = 0; i < xPixels.length; i++) {
            int x = map.px(xTicks.values().get(i));
            xPixels[i] = x;
            canvas.fill(x, top, x, bottom, GRID);
            canvas.fill(x, bottom + 1, x, bottom + TICK_LENGTH, INK);
            String label = xTicks.labels().get(i);
            texts.add(write(canvas, label, x - BitmapFont.width(label) / 2, bottom + TICK_LENGTH + 3, LABEL, false));
        }
        int[] yPixels = new int[yTicks.values().size()];
        for (int i = 0; i < yPixels.length; i++) {
            int y = map.py(yTicks.values().get(i));
            yPixels[i] = y;
            canvas.fill(left, y, right, y, GRID);
            canvas.fill(left - TICK_LENGTH, y, left - 1, y, INK);
            String label = yTicks.labels().get(i);
            texts.add(write(canvas, label, left - TICK_LENGTH - 3 - BitmapFont.width(label), y - 4, LABEL, false));
        }

        // Series: every raw line first, faint, then every smoothed line, bold, on top.
        double[] weights = new double[series.size()];
        for (int s = 0; s < series.size(); s++) {
            Series one = series.get(s);
            boolean[] usable = one.usable(logY);
            weights[s] = Double.isNaN(one.weight) ? Smoothing.defaultWeight(count(usable)) : one.weight;
            int colour = PALETTE[s % PALETTE.length];
            polyline(canvas, map, one.xs, one.ys, usable, weights[s] > 0 ? faint(colour) : colour, weights[s] == 0, false);
        }
        for (int s = 0; s < series.size(); s++) {
            if (weights[s] > 0) {
                Series one = series.get(s);
                boolean[] usable = one.usable(logY);
                double[] smooth = Smoothing.ema(one.ys, usable, weights[s]);
                polyline(canvas, map, one.xs, smooth, usable, PALETTE[s % PALETTE.length], true, true);
            }
        }

        // Frame and axes over the lines.
        canvas.fill(left, top, right, top, FRAME);
        canvas.fill(right, top, right, bottom, FRAME);
        canvas.fill(left, top, left, bottom, INK);
        canvas.fill(left, bottom, right, bottom, INK);

        // Title, axis labels, legend.
        if (!title.isEmpty()) {
            String shown = fit(title, width - 8);
            texts.add(write(canvas, shown, (width - BitmapFont.width(shown)) / 2, 8, INK, false));
        }
        if (!xLabel.isEmpty()) {
            String shown = fit(xLabel, right - left);
            texts.add(write(canvas, shown, (left + right - BitmapFont.width(shown)) / 2,
                    height - 1 - 6 - BitmapFont.HEIGHT + 1, INK, false));
        }
        if (!yLabel.isEmpty()) {
            String shown = fit(yLabel, bottom - top);
            int length = BitmapFont.width(shown);
            canvas.textUp(6, (top + bottom - length) / 2, shown, INK);
            texts.add(new Text(shown, 6, (top + bottom - length) / 2, true, INK));
        }
        legend(canvas, plot, weights, texts);
        return new Drawing(canvas.toImage(), plot, xTicks, yTicks, xPixels, yPixels, texts, map);
    }

    private void legend(Canvas canvas, Canvas.Rect plot, double[] weights, List<Text> texts) {
        List<String> lines = new ArrayList<>();
        List<Integer> swatches = new ArrayList<>(); // colour, or -1 for a note
        List<Boolean> bold = new ArrayList<>();
        for (int s = 0; s < series.size(); s++) {
            int colour = PALETTE[s % PALETTE.length];
            if (weights[s] > 0) {
                lines.add(series.get(s).name);
                swatches.add(faint(colour));
                bold.add(false);
                lines.add(series.get(s).name + ", EMA " + round3(weights[s]));
                swatches.add(colour);
                bold.add(true);
            } else {
                lines.add(series.get(s).name);
                swatches.add(colour);
                bold.add(true);
            }
        }
        for (String note : notes) {
            lines.add(note);
            swatches.add(-1);
            bold.add(false);
        }
        int swatch = 16;
        int textWidth = 0;
        for (int i = 0; i < lines.size(); i++) {
            textWidth = Math.max(textWidth, BitmapFont.width(lines.get(i)) + (swatches.get(i) < 0 ? 0 : swatch + 4));
        }
        int rowHeight = BitmapFont.HEIGHT + 2;
        int boxRight = plot.right() - 6;
        int boxLeft = Math.max(plot.left() + 6, boxRight - textWidth - 8);
        int boxTop = plot.top() + 6;
        int boxBottom = boxTop + lines.size() * rowHeight + 6;
        canvas.fill(boxLeft, boxTop, boxRight, boxBottom, BACKGROUND);
        canvas.outline(boxLeft, boxTop, boxRight, boxBottom, FRAME);
        Canvas.Rect inside = new Canvas.Rect(boxLeft + 1, boxTop + 1, boxRight - 1, boxBottom - 1);
        for (int i = 0; i < lines.size(); i++) {
            int y = boxTop + 4 + i * rowHeight;
            int x = boxLeft + 4;
            if (swatches.get(i) >= 0) {
                canvas.line(x, y + 4, x + swatch - 1, y + 4, swatches.get(i), bold.get(i), inside);
                x += swatch + 4;
            }
            String shown = fit(lines.get(i), boxRight - 3 - x);
            int colour = swatches.get(i) < 0 ? NOTE : LABEL;
            texts.add(write(canvas, shown, x, y, colour, false));
        }
    }

    private static Text write(Canvas canvas, String text, int x, int y, int rgb, boolean up) {
        canvas.text(x, y, text, rgb);
        return new Text(text, x, y, up, rgb);
    }

    /** Draws the usable points joined by lines; {@code bridge} joins across unusable ones. */
    private static void polyline(Canvas canvas, Mapping map, double[] xs, double[] ys, boolean[] usable, int rgb,
                                 boolean bold, boolean bridge) {
        int previous = -1;
        for (int i = 0; i < ys.length; i++) {
            if (!usable[i]) {
                if (!bridge) {
                    previous = -1;
                }
                continue;
            }
            int x = map.px(xs[i]);
            int y = map.py(ys[i]);
            if (previous >= 0) {
                canvas.line(map.px(xs[previous]), map.py(ys[previous]), x, y, rgb, bold, map.plot);
            } else if (!hasUsableAfter(usable, i) || (!bridge && i + 1 < ys.length && !usable[i + 1])) {
                // A point with no neighbour to join: a 3x3 dot.
                for (int dy = -1; dy <= 1; dy++) {
                    canvas.line(x - 1, y + dy, x + 1, y + dy, rgb, false, map.plot);
                }
            }
            previous = i;
        }
    }

    private static boolean hasUsableAfter(boolean[] usable, int i) {
        for (int j = i + 1; j < usable.length; j++) {
            if (usable[j]) {
                return true;
            }
        }
        return false;
    }

    private Range yRange() {
        double min = Double.POSITIVE_INFINITY;
        double max = Double.NEGATIVE_INFINITY;
        for (Series s : series) {
            boolean[] usable = s.usable(logY);
            for (int i = 0; i < s.ys.length; i++) {
                if (usable[i]) {
                    min = Math.min(min, s.ys[i]);
                    max = Math.max(max, s.ys[i]);
                }
            }
        }
        if (logY) {
            // Pad by 3% of the decades shown, or a factor 10^0.1 around a constant.
            double low = Math.log10(min);
            double high = Math.log10(max);
            double pad = high > low ? 0.03 * (high - low) : 0.1;
            return new Range(Math.pow(10, low - pad), Math.pow(10, high + pad), false);
        }
        if (min == max) {
            double pad = min == 0 ? 1 : Math.abs(min) * 0.1;
            return new Range(min - pad, max + pad, false);
        }
        return new Range(min, max, false);
    }

    private Range xRange() {
        double min = Double.POSITIVE_INFINITY;
        double max = Double.NEGATIVE_INFINITY;
        boolean integers = true;
        for (Series s : series) {
            boolean[] usable = s.usable(logY);
            for (int i = 0; i < s.xs.length; i++) {
                if (usable[i]) {
                    min = Math.min(min, s.xs[i]);
                    max = Math.max(max, s.xs[i]);
                    integers &= s.xs[i] == Math.rint(s.xs[i]);
                }
            }
        }
        return min == max ? new Range(min - 1, max + 1, integers) : new Range(min, max, integers);
    }

    private static int count(boolean[] usable) {
        int n = 0;
        for (boolean u : usable) {
            n += u ? 1 : 0;
        }
        return n;
    }

    /** Mixes a colour with three parts of white to one of colour, for the raw lines. */
    static int faint(int rgb) {
        int r = ((rgb >> 16 & 0xff) + 3 * 255) / 4;
        int g = ((rgb >> 8 & 0xff) + 3 * 255) / 4;
        int b = ((rgb & 0xff) + 3 * 255) / 4;
        return r << 16 | g << 8 | b;
    }

    /** Shortens a text with "..." to at most {@code pixels} wide. */
    static String fit(String text, int pixels) {
        int chars = pixels / BitmapFont.WIDTH;
        if (text.length() <= chars) {
            return text;
        }
        return chars <= 3 ? "" : text.substring(0, chars - 3) + "...";
    }

    private static String round3(double weight) {
        return new BigDecimal(weight).round(new MathContext(3)).stripTrailingZeros().toPlainString();
    }

    /** The data range of an axis, and whether every x is a whole number. */
    private record Range(double min, double max, boolean integers) {
    }

    /** Maps data to pixels inside the plot area. */
    record Mapping(Canvas.Rect plot, Ticks x, Ticks y, boolean logY) {
        int px(double v) {
            return plot.left() + (int) Math.round((v - x.min()) / (x.max() - x.min()) * (plot.right() - plot.left()));
        }

        int py(double v) {
            double t = logY ? (Math.log10(v) - Math.log10(y.min())) / (Math.log10(y.max()) - Math.log10(y.min()))
                    : (v - y.min()) / (y.max() - y.min());
            return plot.bottom() - (int) Math.round(t * (plot.bottom() - plot.top()));
        }
    }

    /** One series: its name, x values, y values and EMA weight (NaN for the default). */
    private record Series(String name, double[] xs, double[] ys, double weight) {
        boolean[] usable(boolean logY) {
            boolean[] usable = new boolean[ys.length];
            for (int i = 0; i < ys.length; i++) {
                usable[i] = Double.isFinite(xs[i]) && Double.isFinite(ys[i]) && (!logY || ys[i] > 0);
            }
            return usable;
        }
    }

    /**
     * A text the chart wrote: where its box's top-left corner is, and whether it reads upwards.
     *
     * @param text the characters
     * @param x    the left edge of the box
     * @param y    the top edge of the box
     * @param up   whether it is turned a quarter left
     * @param rgb  its colour
     */
    record Text(String text, int x, int y, boolean up, int rgb) {
    }

    /**
     * A rendered chart and where its parts went.
     *
     * @param image   the pixels
     * @param plot    the plot area; its left column and bottom row are the axes
     * @param xTicks  the x axis' ticks
     * @param yTicks  the y axis' ticks
     * @param xPixels the column of each x tick
     * @param yPixels the row of each y tick
     * @param texts   every text written
     * @param map     the mapping from data to pixels
     */
    record Drawing(RgbImage image, Canvas.Rect plot, Ticks xTicks, Ticks yTicks, int[] xPixels, int[] yPixels,
                   List<Text> texts, Mapping map) {
    }

    /** Collects a chart's texts, scale and series. */
    public static final class Builder {
        private final int width;
        private final int height;
        private String title = "";
        private String xLabel = "";
        private String yLabel = "";
        private boolean logY;
        private double weight = Double.NaN;
        private final List<Series> series = new ArrayList<>();

        private Builder(int width, int height) {
            this.width = width;
            this.height = height;
        }

        /**
         * Sets the title, written centred above the plot.
         *
         * @param title the title; characters outside printable ASCII show as {@code ?}
         * @return this builder
         */
        public Builder title(String title) {
            this.title = text("title", title);
            return this;
        }

        /**
         * Sets the x axis' label.
         *
         * @param label the label, such as {@code "step"}
         * @return this builder
         */
        public Builder xLabel(String label) {
            this.xLabel = text("xLabel", label);
            return this;
        }

        /**
         * Sets the y axis' label, written upwards beside the axis.
         *
         * @param label the label, such as {@code "loss (log scale)"}
         * @return this builder
         */
        public Builder yLabel(String label) {
            this.yLabel = text("yLabel", label);
            return this;
        }

        /**
         * Makes the y axis logarithmic; values at or below zero are then skipped.
         *
         * @param log whether the y axis is logarithmic
         * @return this builder
         */
        public Builder logY(boolean log) {
            this.logY = log;
            return this;
        }

        /**
         * Sets the weight of the past in the moving average of the series added after this call.
         *
         * @param weight in {@code [0, 1)}: 0 draws the raw line alone, bold; 0.99 smooths hard.
         *               Without a call, about {@code 1 - 100/n} for {@code n} points (none below 200)
         * @return this builder
         * @throws IllegalArgumentException if the weight is outside {@code [0, 1)}
         */
        public Builder smoothing(double weight) {
            if (!(weight >= 0 && weight < 1)) {
                throw new IllegalArgumentException("LineChart: smoothing weight must be in [0, 1), got " + weight);
            }
            this.weight = weight;
            return this;
        }

        /**
         * Adds a series whose x values are 1, 2, ..., as for a value per training step.
         *
         * @param name the name shown in the legend
         * @param ys   the values, one per step
         * @return this builder
         * @throws IllegalArgumentException if the series is empty
         */
        public Builder series(String name, double[] ys) {
            double[] xs = new double[ys.length];
            for (int i = 0; i < xs.length; i++) {
                xs[i] = i + 1;
            }
            return series(name, xs, ys);
        }

        /**
         * Adds a series of points {@code (xs[i], ys[i])}, joined in the order given.
         *
         * @param name the name shown in the legend
         * @param xs   the x values
         * @param ys   the y values, as many
         * @return this builder
         * @throws IllegalArgumentException if the series is empty or the lengths differ
         */
        public Builder series(String name, double[] xs, double[] ys) {
            text("series name", name);
            if (ys.length == 0) {
                throw new IllegalArgumentException("LineChart: series '" + name + "' is empty: nothing to plot");
            }
            if (xs.length != ys.length) {
                throw new IllegalArgumentException("LineChart: series '" + name + "' has " + xs.length
                        + " x values but " + ys.length + " y values");
            }
            series.add(new Series(name, xs.clone(), ys.clone(), weight));
            return this;
        }

        /**
         * Builds the chart.
         *
         * @return the chart
         * @throws IllegalArgumentException if there is no series, or a series has no value that
         *                                  can be drawn
         */
        public LineChart build() {
            if (series.isEmpty()) {
                throw new IllegalArgumentException("LineChart: no series to plot");
            }
            for (Series s : series) {
                boolean[] usable = s.usable(logY);
                if (count(usable) == 0) {
                    throw new IllegalArgumentException("LineChart: series '" + s.name + "' has no "
                            + (logY ? "finite positive value (the y axis is logarithmic)" : "finite value")
                            + " among its " + s.ys.length);
                }
            }
            return new LineChart(this);
        }

        private static String text(String what, String value) {
            if (value == null) {
                throw new IllegalArgumentException("LineChart: " + what + " must not be null");
            }
            return value;
        }
    }
}
