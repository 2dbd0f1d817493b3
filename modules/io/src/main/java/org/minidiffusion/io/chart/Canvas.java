package org.minidiffusion.io.chart;

/**
 * A pixel buffer with the few drawing operations a chart needs: rectangles, straight lines of one
 * or two pixels, and text in {@link BitmapFont}, horizontal or turned a quarter left.
 *
 * <p>Drawing is plain integer arithmetic, with no anti-aliasing and no fonts of the system, so a
 * chart renders to the same pixels on every JVM and machine. Pixels outside the canvas, or outside
 * the clip rectangle where one is given, are skipped.
 */
final class Canvas {
    private final int width;
    private final int height;
    private final int[] pixels;

    Canvas(int width, int height, int background) {
        this.width = width;
        this.height = height;
        this.pixels = new int[width * height];
        java.util.Arrays.fill(pixels, background);
    }

    int width() {
        return width;
    }

    int height() {
        return height;
    }

    RgbImage toImage() {
        return new RgbImage(width, height, pixels.clone());
    }

    void set(int x, int y, int rgb) {
        if (x >= 0 && x < width && y >= 0 && y < height) {
            pixels[y * width + x] = rgb;
        }
    }

    /** Fills the rectangle of corners {@code (x0, y0)} and {@code (x1, y1)}, both included. */
    void fill(int x0, int y0, int x1, int y1, int rgb) {
        for (int y = Math.max(0, y0); y <= Math.min(height - 1, y1); y++) {
            for (int x = Math.max(0, x0); x <= Math.min(width - 1, x1); x++) {
                pixels[y * width + x] = rgb;
            }
        }
    }

    /** Draws the outline of the rectangle of corners {@code (x0, y0)} and {@code (x1, y1)}. */
    void outline(int x0, int y0, int x1, int y1, int rgb) {
        fill(x0, y0, x1, y0, rgb);
        fill(x0, y1, x1, y1, rgb);
        fill(x0, y0, x0, y1, rgb);
        fill(x1, y0, x1, y1, rgb);
    }

    /**
     * Draws a straight line with Bresenham's algorithm (Bresenham 1965), one pixel wide, or two
     * (a 2x2 brush) when {@code bold}, keeping to the clip rectangle.
     */
    void line(int x0, int y0, int x1, int y1, int rgb, boolean bold, Rect clip) {
        int dx = Math.abs(x1 - x0);
        int dy = -Math.abs(y1 - y0);
        int sx = x0 < x1 ? 1 : -1;
        int sy = y0 < y1 ? 1 : -1;
        int error = dx + dy;
        int x = x0;
        int y = y0;
        while (true) {
            plot(x, y, rgb, clip);
            if (bold) {
                plot(x + 1, y, rgb, clip);
                plot(x, y + 1, rgb, clip);
                plot(x + 1, y + 1, rgb, clip);
            }
            if (x == x1 && y == y1) {
                return;
            }
            int e2 = 2 * error;
            if (e2 >= dy) {
                error += dy;
                x += sx;
            }
            if (e2 <= dx) {
                error += dx;
                y += sy;
            }
        }
    }

    private void plot(int x, int y, int rgb, Rect clip) {
        if (clip.contains(x, y)) {
            set(x, y, rgb);
        }
    }

    /** Writes a text whose top-left cell corner is {@code (x, y)}; only the ink is drawn. */
    void text(int x, int y, String text, int rgb) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            for (int gy = 0; gy < BitmapFont.HEIGHT; gy++) {
                for (int gx = 0; gx < BitmapFont.WIDTH; gx++) {
                    if (BitmapFont.ink(c, gx, gy)) {
                        set(x + i * BitmapFont.WIDTH + gx, y + gy, rgb);
                    }
                }
            }
        }
    }

    /**
     * Writes a text turned a quarter left, to be read from bottom to top, as a y-axis label is;
     * {@code (x, y)} is the top-left corner of the turned text's bounding box, which is
     * {@link BitmapFont#HEIGHT} wide and {@link BitmapFont#width} high.
     */
    void textUp(int x, int y, String text, int rgb) {
        int length = BitmapFont.width(text);
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            for (int gy = 0; gy < BitmapFont.HEIGHT; gy++) {
                for (int gx = 0; gx < BitmapFont.WIDTH; gx++) {
                    if (BitmapFont.ink(c, gx, gy)) {
                        // Turning left maps the glyph's (column u, row v) of the horizontal text
                        // to (v, length - 1 - u).
                        set(x + gy, y + length - 1 - (i * BitmapFont.WIDTH + gx), rgb);
                    }
                }
            }
        }
    }

    /**
     * A rectangle of pixels, both corners included.
     *
     * @param left   the first column
     * @param top    the first row
     * @param right  the last column
     * @param bottom the last row
     */
    record Rect(int left, int top, int right, int bottom) {
        boolean contains(int x, int y) {
            return x >= left && x <= right && y >= top && y <= bottom;
        }
    }
}
