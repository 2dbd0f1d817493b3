package org.minidiffusion.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import org.apache.commons.imaging.Imaging;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PlotTests {
    @TempDir
    Path dir;

    @Test
    void aShortSeriesIsADarkLineThroughTheCentre() throws IOException {
        double[] losses = new double[11];
        for (int i = 0; i < losses.length; i++) {
            losses[i] = 1 - i / 10.0;
        }
        BufferedImage image = plot(losses, 200, 100);
        assertEquals(0xffffff, image.getRGB(0, 0) & 0xffffff, "background is white");
        assertEquals(0xffffff, image.getRGB(199, 99) & 0xffffff, "background is white");
        // The line runs from top-left to bottom-right of a centred plot area, so the middle
        // value 0.5 at the middle step lies at the image centre.
        assertTrue(darkNear(image, 99, 49), "line at the centre");
        // Plot area x 10..189, y 10..89 for values -0.05..1.05: at x = 20 the loss is 0.944, y = 17.6.
        assertTrue(darkNear(image, 20, 18), "line near the start");
        assertFalse(darkNear(image, 20, 80), "nothing drawn in the empty lower left");
    }

    @Test
    void aLongSeriesIsSmoothedAndStillCrossesTheCentre() throws IOException {
        double[] losses = new double[1001];
        for (int i = 0; i < losses.length; i++) {
            losses[i] = 1 - i / 1000.0 + (i % 2 == 0 ? 0.05 : -0.05);
        }
        losses[300] = Double.NaN;
        BufferedImage image = plot(losses, 320, 240);
        assertTrue(darkNear(image, 159, 119), "smoothed line at the centre");
    }

    @Test
    void theYAxisIsLogarithmicForValuesSpanningMoreThanAHundredfold() throws IOException {
        double[] decay = new double[500];
        for (int i = 0; i < decay.length; i++) {
            decay[i] = 1000 * Math.exp(-i / 50.0);
        }
        assertTrue(Plot.usesLogScale(decay));
        assertFalse(Plot.usesLogScale(new double[] {1, 50, Double.NaN}));
        assertFalse(Plot.usesLogScale(new double[] {-1, 1000}));
        BufferedImage image = plot(decay, 120, 80);
        assertEquals(120, image.getWidth());
    }

    @Test
    void rejectsEmptySeriesAndTinyImages() {
        Path file = dir.resolve("bad.png");
        assertThrows(IllegalArgumentException.class, () -> Plot.lossCurve(file, new double[0], 100, 100));
        assertThrows(IllegalArgumentException.class, () -> Plot.lossCurve(file, new double[] {Double.NaN}, 100, 100));
        assertThrows(IllegalArgumentException.class, () -> Plot.lossCurve(file, new double[] {1}, 8, 100));
    }

    @Test
    void theMovingAverageSkipsGaps() {
        assertArrayEquals(new double[] {1.5, 2, 2.5, 4, 5},
                Plot.movingAverage(new double[] {1, 2, 3, Double.NaN, 5}, 1), 1e-12);
    }

    private BufferedImage plot(double[] losses, int width, int height) throws IOException {
        Path file = dir.resolve("loss.png");
        Plot.lossCurve(file, losses, width, height);
        BufferedImage image = Imaging.getBufferedImage(file.toFile());
        assertEquals(width, image.getWidth());
        assertEquals(height, image.getHeight());
        return image;
    }

    private static boolean darkNear(BufferedImage image, int x, int y) {
        for (int dy = -2; dy <= 2; dy++) {
            for (int dx = -2; dx <= 2; dx++) {
                int rgb = image.getRGB(x + dx, y + dy);
                if (((rgb >> 16) & 0xff) + ((rgb >> 8) & 0xff) + (rgb & 0xff) < 300) {
                    return true;
                }
            }
        }
        return false;
    }
}
