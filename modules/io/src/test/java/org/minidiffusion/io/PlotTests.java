package org.minidiffusion.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.commons.imaging.Imaging;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.minidiffusion.io.chart.LineChart;
import org.minidiffusion.io.chart.RgbImage;

class PlotTests {
    @TempDir
    Path dir;

    @Test
    void thePngHoldsTheRenderedChartPixelForPixel() throws IOException {
        double[] losses = new double[600];
        for (int i = 0; i < losses.length; i++) {
            losses[i] = 0.05 + Math.exp(-i / 80.0) * (1 + 0.2 * Math.sin(i));
        }
        Path file = dir.resolve("loss.png");
        Plot.lossCurve(file, losses, 640, 320, "train: loss per step");
        BufferedImage read = Imaging.getBufferedImage(file.toFile());
        RgbImage expected = Plot.lossChart(losses, 640, 320, "train: loss per step").render();
        assertEquals(640, read.getWidth());
        assertEquals(320, read.getHeight());
        int[] pixels = read.getRGB(0, 0, 640, 320, null, 0, 640);
        for (int i = 0; i < pixels.length; i++) {
            pixels[i] &= 0xffffff;
        }
        assertArrayEquals(expected.toArray(), pixels);
        try (var files = Files.list(dir)) {
            assertEquals(java.util.List.of(file), files.toList(), "no temporary file left");
        }
    }

    @Test
    void lossesGetALogAxisUnlessAValueIsZeroOrNegative() throws IOException {
        assertEquals(render(new double[] {0.5, 0.25, Double.NaN, 0.125}, true),
                render(new double[] {0.5, 0.25, Double.NaN, 0.125}, null));
        assertEquals(render(new double[] {0.5, 0, -0.25}, false), render(new double[] {0.5, 0, -0.25}, null));
    }

    @Test
    void rejectsEmptySeriesAllNaNAndTinyImagesNamingTheProblem() {
        Path file = dir.resolve("bad.png");
        IllegalArgumentException empty = assertThrows(IllegalArgumentException.class,
                () -> Plot.lossCurve(file, new double[0], 800, 400));
        assertEquals("lossCurve: no losses to plot (the series is empty)", empty.getMessage());
        IllegalArgumentException nan = assertThrows(IllegalArgumentException.class,
                () -> Plot.lossCurve(file, new double[] {Double.NaN}, 800, 400));
        assertEquals("LineChart: series 'loss' has no finite value among its 1", nan.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Plot.lossCurve(file, new double[] {1}, 8, 100));
        assertEquals(false, Files.exists(file));
    }

    /** Renders with the log axis forced on or off, or as lossCurve chooses when {@code log} is null. */
    private static java.util.List<Integer> render(double[] losses, Boolean log) {
        RgbImage image = log == null
                ? Plot.lossChart(losses, 400, 300, "t").render()
                : LineChart.builder(400, 300).title("t").xLabel("step").yLabel(log ? "loss (log scale)" : "loss")
                        .logY(log).series("loss", losses).build().render();
        return java.util.Arrays.stream(image.toArray()).boxed().toList();
    }
}
