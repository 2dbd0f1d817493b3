package org.minidiffusion.io;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import org.minidiffusion.io.chart.LineChart;
import org.minidiffusion.io.chart.RgbImage;

/**
 * Writes charts, such as a training run's loss per step, as PNG files.
 *
 * <p>The charts are drawn by {@link LineChart} (title, labelled axes with nice ticks, the raw
 * series faint and its moving average bold, a legend) and encoded by the same PNG writer as
 * {@link Images}; files are replaced atomically.
 */
public final class Plot {
    /** The title {@link #lossCurve(Path, double[], int, int)} gives its chart. */
    public static final String DEFAULT_LOSS_TITLE = "loss per step";

    private Plot() {
    }

    /**
     * Writes a chart as a PNG file, atomically.
     *
     * @param png   the PNG file to create or replace
     * @param chart the chart
     * @throws IOException naming the file if writing fails; the old file is then unchanged
     */
    public static void writePng(Path png, LineChart chart) throws IOException {
        RgbImage image = chart.render();
        BufferedImage buffered = new BufferedImage(image.width(), image.height(), BufferedImage.TYPE_INT_RGB);
        buffered.setRGB(0, 0, image.width(), image.height(), image.toArray(), 0, image.width());
        AtomicFiles.write(png, Images.encodePng(png, buffered, true));
    }

    /**
     * Writes the chart of a loss per step titled {@value #DEFAULT_LOSS_TITLE}, atomically.
     *
     * @param png    the PNG file to create or replace
     * @param losses the values, one per step, at least one finite
     * @param width  the image width in pixels, at least {@link LineChart#MIN_WIDTH}
     * @param height the image height in pixels, at least {@link LineChart#MIN_HEIGHT}
     * @throws IllegalArgumentException if the size is too small or no value is finite
     * @throws IOException              naming the file if writing fails
     */
    public static void lossCurve(Path png, double[] losses, int width, int height) throws IOException {
        lossCurve(png, losses, width, height, DEFAULT_LOSS_TITLE);
    }

    /**
     * Writes the chart of a loss per step, atomically.
     *
     * @param png    the PNG file to create or replace
     * @param losses the values, one per step (step {@code i + 1} is {@code losses[i]}), at least
     *               one finite
     * @param width  the image width in pixels, at least {@link LineChart#MIN_WIDTH}
     * @param height the image height in pixels, at least {@link LineChart#MIN_HEIGHT}
     * @param title  the title, such as {@code "train: loss per step"}
     * @throws IllegalArgumentException if the size is too small or no value is finite
     * @throws IOException              naming the file if writing fails
     */
    public static void lossCurve(Path png, double[] losses, int width, int height, String title) throws IOException {
        writePng(png, lossChart(losses, width, height, title));
    }

    /**
     * Returns the chart {@link #lossCurve} writes: x axis "step"; y axis "loss (log scale)" when
     * every finite value is positive (and there is one), else a linear "loss".
     *
     * @param losses the values
     * @param width  the width
     * @param height the height
     * @param title  the title
     * @return the chart
     * @throws IllegalArgumentException if the size is too small, or no value is finite
     */
    public static LineChart lossChart(double[] losses, int width, int height, String title) {
        if (losses.length == 0) {
            throw new IllegalArgumentException("lossCurve: no losses to plot (the series is empty)");
        }
        boolean positive = false;
        boolean nonPositive = false;
        for (double v : losses) {
            positive |= Double.isFinite(v) && v > 0;
            nonPositive |= Double.isFinite(v) && v <= 0;
        }
        boolean log = positive && !nonPositive;
        return LineChart.builder(width, height)
                .title(title)
                .xLabel("step")
                .yLabel(log ? "loss (log scale)" : "loss")
                .logY(log)
                .series("loss", losses)
                .build();
    }
}
