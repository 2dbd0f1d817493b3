package org.minidiffusion.io.chart;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class LineChartTests {
    private static double[] decay(int n) {
        double[] ys = new double[n];
        for (int i = 0; i < n; i++) {
            ys[i] = 0.02 + Math.exp(-i / 300.0) * (1 + 0.3 * Math.sin(i * 1.7));
        }
        return ys;
    }

    private static LineChart.Drawing lossChart(double[] losses) {
        return LineChart.builder(800, 400).title("A test: loss per step").xLabel("step").yLabel("loss (log scale)")
                .logY(true).series("loss", losses).build().draw();
    }

    @Test
    void theAxesAreSolidLinesWithTicksOutside() {
        LineChart.Drawing d = lossChart(decay(2500));
        RgbImage image = d.image();
        Canvas.Rect plot = d.plot();
        for (int y = plot.top(); y <= plot.bottom(); y++) {
            assertEquals(LineChart.INK, image.rgb(plot.left(), y), "y axis at row " + y);
        }
        for (int x = plot.left(); x <= plot.right(); x++) {
            assertEquals(LineChart.INK, image.rgb(x, plot.bottom()), "x axis at column " + x);
        }
        for (int x : d.xPixels()) {
            for (int k = 1; k <= LineChart.TICK_LENGTH; k++) {
                assertEquals(LineChart.INK, image.rgb(x, plot.bottom() + k), "x tick at column " + x);
            }
        }
        for (int y : d.yPixels()) {
            assertEquals(LineChart.INK, image.rgb(plot.left() - LineChart.TICK_LENGTH, y), "y tick at row " + y);
        }
        // The pixel left of the ticks and below them is background.
        assertEquals(LineChart.BACKGROUND, image.rgb(plot.left() - LineChart.TICK_LENGTH - 1, d.yPixels()[0]));
    }

    @Test
    void stepsGetNiceTicksAndLossesPowersOfTen() {
        LineChart.Drawing d = lossChart(decay(2500));
        assertEquals(List.of("0", "500", "1000", "1500", "2000", "2500"), d.xTicks().labels());
        // The x axis runs from tick 0 at the axis to tick 2500 at the right edge of the plot.
        assertEquals(d.plot().left(), d.xPixels()[0]);
        assertEquals(d.plot().right(), d.xPixels()[5]);
        // Losses from 0.02 to about 1.3: 1-2-5 times powers of ten.
        assertEquals(List.of("0.02", "0.05", "0.1", "0.2", "0.5", "1"), d.yTicks().labels());
        List<String> written = d.texts().stream().map(LineChart.Text::text).toList();
        assertTrue(written.containsAll(List.of("A test: loss per step", "step", "loss (log scale)", "0", "2500",
                "0.05", "1", "loss", "loss, EMA 0.96")), written.toString());
    }

    @Test
    void theTitleIsTheFontsGlyphsPixelForPixel() {
        LineChart.Drawing d = lossChart(decay(300));
        LineChart.Text title = d.texts().stream().filter(t -> t.text().startsWith("A test")).findFirst().orElseThrow();
        // The first letter against the glyph copied by hand from the font.
        for (int y = 0; y < BitmapFont.HEIGHT; y++) {
            for (int x = 0; x < BitmapFont.WIDTH; x++) {
                int expected = BitmapFontTests.GLYPH_A[y].charAt(x) == '#' ? LineChart.INK : LineChart.BACKGROUND;
                assertEquals(expected, d.image().rgb(title.x() + x, title.y() + y), "'A' at (" + x + ", " + y + ")");
            }
        }
        // Every character of every text: ink where the font has ink.
        for (LineChart.Text text : d.texts()) {
            assertInk(d.image(), text);
        }
        // Centred: as much room left of the title as right of it, to a pixel.
        int right = d.image().width() - (title.x() + BitmapFont.width(title.text()));
        assertTrue(Math.abs(title.x() - right) <= 1, title.x() + " vs " + right);
    }

    @Test
    void theYLabelReadsUpwards() {
        LineChart.Drawing d = lossChart(decay(300));
        LineChart.Text label = d.texts().stream().filter(LineChart.Text::up).findFirst().orElseThrow();
        assertEquals("loss (log scale)", label.text());
        // 'l' is the first character, so it sits at the bottom of the turned box: glyph row v,
        // column u lands at (x + v, y + length - 1 - u).
        int length = BitmapFont.width(label.text());
        for (int v = 0; v < BitmapFont.HEIGHT; v++) {
            for (int u = 0; u < BitmapFont.WIDTH; u++) {
                int expected = BitmapFont.ink('l', u, v) ? LineChart.INK : LineChart.BACKGROUND;
                assertEquals(expected, d.image().rgb(label.x() + v, label.y() + length - 1 - u));
            }
        }
    }

    @Test
    void theBoldLineIsTheExponentialMovingAverageAndTheFaintLineTheValues() {
        // Alternating 1 and 3 on a linear axis; weight 0.9: the average settles near 2 while the
        // raw line keeps touching 1 and 3.
        double[] ys = new double[400];
        for (int i = 0; i < ys.length; i++) {
            ys[i] = i % 2 == 0 ? 1 : 3;
        }
        // Two outliers first widen the axis to 0.5..3.5, so every point stays off the frame.
        ys[0] = 0.6;
        ys[1] = 3.4;
        LineChart.Drawing d = LineChart.builder(800, 400).smoothing(0.9).series("zigzag", ys).build().draw();
        int colour = LineChart.PALETTE[0];
        double m = 0;
        double decay = 1;
        for (int i = 0; i < ys.length; i++) {
            m = 0.9 * m + 0.1 * ys[i];
            decay *= 0.9;
            double ema = m / (1 - decay);
            int x = d.map().px(i + 1);
            int y = d.map().py(ema);
            if (x < d.plot().right() - 300) { // clear of the legend
                assertEquals(colour, d.image().rgb(x, y), "EMA at step " + (i + 1) + " = " + ema);
            }
        }
        // A crest of the raw line, well above the average, is faint.
        int x = d.map().px(202);
        assertEquals(3, ys[201], 0);
        assertEquals(LineChart.faint(colour), d.image().rgb(x, d.map().py(3)));
    }

    @Test
    void onePointIsADotInTheMiddle() {
        LineChart.Drawing d = LineChart.builder(300, 200).series("loss", new double[] {0.5}).logY(true).build().draw();
        // x is padded to 0..2 with whole ticks, y to a tenth of a decade either side.
        assertEquals(List.of("0", "1", "2"), d.xTicks().labels());
        int x = d.map().px(1);
        int y = d.map().py(0.5);
        assertEquals((d.plot().left() + d.plot().right()) / 2, x, 1);
        assertEquals((d.plot().top() + d.plot().bottom()) / 2, y, 1);
        for (int dy = -1; dy <= 1; dy++) {
            for (int dx = -1; dx <= 1; dx++) {
                assertEquals(LineChart.PALETTE[0], d.image().rgb(x + dx, y + dy));
            }
        }
    }

    @Test
    void aConstantSeriesIsAFlatLineBetweenTicks() {
        double[] ys = new double[50];
        java.util.Arrays.fill(ys, 4);
        LineChart.Drawing d = LineChart.builder(400, 300).series("loss", ys).build().draw();
        assertTrue(d.yTicks().min() < 4 && d.yTicks().max() > 4, d.yTicks().toString());
        int y = d.map().py(4);
        for (int i = 1; i < 50; i++) { // step 50 lies on the frame's right edge
            assertEquals(LineChart.PALETTE[0], d.image().rgb(d.map().px(i), y));
        }
    }

    @Test
    void nonFiniteAndNonPositiveValuesAreSkippedWithANote() {
        double[] ys = {1, Double.NaN, 0.5, Double.POSITIVE_INFINITY, 0.25, 0, -1, 0.125};
        LineChart chart = LineChart.builder(400, 300).logY(true).series("loss", ys).build();
        assertEquals(List.of("loss: 2 non-finite values skipped", "loss: 2 values <= 0 skipped (log scale)"),
                chart.notes());
        LineChart.Drawing d = chart.draw();
        List<String> written = d.texts().stream().map(LineChart.Text::text).toList();
        assertTrue(written.containsAll(chart.notes()), written.toString());
        // The same values on a linear axis keep 0 and -1.
        assertEquals(List.of("loss: 2 non-finite values skipped"),
                LineChart.builder(400, 300).series("loss", ys).build().notes());
        assertArrayEquals(d.image().toArray(), chart.render().toArray(), "rendering is deterministic");
    }

    @Test
    void emptyOrUndrawableSeriesAndTinySizesAreClearErrors() {
        IllegalArgumentException empty = assertThrows(IllegalArgumentException.class,
                () -> LineChart.builder(400, 300).series("loss", new double[0]));
        assertEquals("LineChart: series 'loss' is empty: nothing to plot", empty.getMessage());
        IllegalArgumentException nan = assertThrows(IllegalArgumentException.class,
                () -> LineChart.builder(400, 300).series("loss", new double[] {Double.NaN, 1.0 / 0}).build());
        assertEquals("LineChart: series 'loss' has no finite value among its 2", nan.getMessage());
        IllegalArgumentException log = assertThrows(IllegalArgumentException.class,
                () -> LineChart.builder(400, 300).logY(true).series("kl", new double[] {0, -2}).build());
        assertEquals("LineChart: series 'kl' has no finite positive value (the y axis is logarithmic) among its 2",
                log.getMessage());
        assertThrows(IllegalArgumentException.class, () -> LineChart.builder(400, 300).build());
        IllegalArgumentException size = assertThrows(IllegalArgumentException.class, () -> LineChart.builder(100, 300));
        assertEquals("LineChart: size must be at least 160x100, got 100x300", size.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> LineChart.builder(400, 300).series("xy", new double[] {1, 2}, new double[] {1}));
        assertThrows(IllegalArgumentException.class, () -> LineChart.builder(400, 300).smoothing(1));
    }

    @Test
    void longTextsAreShortenedToFit() {
        assertEquals("abcdefg", LineChart.fit("abcdefg", 42));
        assertEquals("abc...", LineChart.fit("abcdefg", 36));
        assertEquals("", LineChart.fit("abcdefg", 18));
    }

    private static void assertInk(RgbImage image, LineChart.Text text) {
        if (text.up()) {
            return;
        }
        for (int i = 0; i < text.text().length(); i++) {
            for (int y = 0; y < BitmapFont.HEIGHT; y++) {
                for (int x = 0; x < BitmapFont.WIDTH; x++) {
                    if (BitmapFont.ink(text.text().charAt(i), x, y)) {
                        assertEquals(text.rgb(), image.rgb(text.x() + i * BitmapFont.WIDTH + x, text.y() + y),
                                "'" + text.text() + "' character " + i + " at (" + x + ", " + y + ")");
                    }
                }
            }
        }
    }
}
