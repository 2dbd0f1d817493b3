package org.minidiffusion.io.chart;

import java.util.Arrays;

/**
 * An image of 8-bit RGB pixels, as a chart renders it.
 *
 * <p>Pixels are stored row by row from the top left, each as {@code 0xRRGGBB}.
 */
public final class RgbImage {
    private final int width;
    private final int height;
    private final int[] pixels;

    RgbImage(int width, int height, int[] pixels) {
        this.width = width;
        this.height = height;
        this.pixels = pixels;
    }

    /**
     * Returns the width.
     *
     * @return the width in pixels
     */
    public int width() {
        return width;
    }

    /**
     * Returns the height.
     *
     * @return the height in pixels
     */
    public int height() {
        return height;
    }

    /**
     * Returns one pixel.
     *
     * @param x the column, from 0 at the left
     * @param y the row, from 0 at the top
     * @return the colour as {@code 0xRRGGBB}
     * @throws IndexOutOfBoundsException if {@code (x, y)} lies outside the image
     */
    public int rgb(int x, int y) {
        if (x < 0 || x >= width || y < 0 || y >= height) {
            throw new IndexOutOfBoundsException("RgbImage.rgb: (" + x + ", " + y + ") is outside " + width + "x" + height);
        }
        return pixels[y * width + x];
    }

    /**
     * Returns a copy of every pixel, row by row.
     *
     * @return {@code width * height} colours as {@code 0xRRGGBB}
     */
    public int[] toArray() {
        return Arrays.copyOf(pixels, pixels.length);
    }
}
