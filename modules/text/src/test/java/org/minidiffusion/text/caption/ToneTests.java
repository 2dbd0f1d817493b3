package org.minidiffusion.text.caption;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** The tone rule on images built by hand: the garment mask, the per-class thresholds, the bad inputs. */
class ToneTests {
    /** A black image with {@code count} pixels of {@code value} from pixel {@code from} on. */
    static float[] image(int from, int count, float value) {
        float[] pixels = new float[Tone.PIXELS];
        Arrays.fill(pixels, from, from + count, value);
        return pixels;
    }

    @Test
    void theGarmentMeanAveragesOnlyThePixelsAboveTheThreshold() {
        float[] pixels = image(100, 50, 0.8f);
        Arrays.fill(pixels, 200, 250, 0.4f);
        assertEquals((50 * (double) 0.8f + 50 * (double) 0.4f) / 100, Tone.garmentMean(pixels), 1e-12);
        // Pixels at or below 0.1 are background, however many: the mean does not move.
        Arrays.fill(pixels, 300, 700, 0.1f);
        Arrays.fill(pixels, 0, 100, 0.05f);
        assertEquals((50 * (double) 0.8f + 50 * (double) 0.4f) / 100, Tone.garmentMean(pixels), 1e-12);
        // One pixel just above the threshold joins the garment.
        pixels[300] = 0.1001f;
        assertEquals((50 * (double) 0.8f + 50 * (double) 0.4f + 0.1001f) / 101, Tone.garmentMean(pixels), 1e-12);
    }

    @Test
    void thresholdsAreTheClassesOwn() {
        // The sneaker's thresholds are 0.534 and 0.634.
        assertEquals(0.534, Tone.darkBelow(7));
        assertEquals(0.634, Tone.lightFrom(7));
        assertEquals(Tone.DARK, Tone.measure(7, image(300, 120, 0.3f)));
        assertEquals(Tone.DARK, Tone.measure(7, image(300, 120, 0.533f)));
        assertEquals(Tone.NONE, Tone.measure(7, image(300, 120, 0.535f)));
        assertEquals(Tone.NONE, Tone.measure(7, image(300, 120, 0.633f)));
        assertEquals(Tone.LIGHT, Tone.measure(7, image(300, 120, 0.635f)));
        assertEquals(Tone.LIGHT, Tone.measure(7, image(300, 120, 1f)));
        // The same image of mean 0.6 is untoned for a sneaker, light for a sandal (0.471, 0.569), dark for a coat
        // (0.656, 0.770) and for an ankle boot (0.658, 0.738).
        float[] mid = image(300, 120, 0.6f);
        assertEquals(Tone.NONE, Tone.measure(7, mid));
        assertEquals(Tone.LIGHT, Tone.measure(5, mid));
        assertEquals(Tone.DARK, Tone.measure(4, mid));
        assertEquals(Tone.DARK, Tone.measure(9, mid));
        for (int label = 0; label < 10; label++) {
            assertTrue(Tone.darkBelow(label) < Tone.lightFrom(label), "class " + label);
            assertTrue(Tone.darkBelow(label) > Tone.GARMENT_THRESHOLD && Tone.lightFrom(label) < 1, "class " + label);
        }
    }

    @Test
    void anImageWithTooLittleGarmentHasNoTone() {
        assertEquals(Double.NaN, Tone.garmentMean(new float[Tone.PIXELS]));
        assertEquals(Tone.NONE, Tone.measure(7, new float[Tone.PIXELS]));
        // 15 bright pixels are too few to measure, 16 are enough; a dim blank image is never "dark".
        assertEquals(Tone.NONE, Tone.measure(7, image(0, 15, 1f)));
        assertEquals(Tone.LIGHT, Tone.measure(7, image(0, 16, 1f)));
        assertEquals(Tone.NONE, Tone.measure(7, image(0, 784, 0.09f)));
        assertEquals(Tone.DARK, Tone.measure(7, image(0, 784, 0.11f)));
    }

    @Test
    void badImagesAndLabelsAreClearErrors() {
        assertEquals("Tone.measure: expected a 28 x 28 image of 784 pixels, got 1024 pixels",
                assertThrows(IllegalArgumentException.class, () -> Tone.measure(0, new float[1024])).getMessage());
        float[] nan = new float[Tone.PIXELS];
        nan[29] = Float.NaN;
        assertEquals("Tone.measure: pixel 29 (row 1, column 1) is NaN, outside [0, 1]",
                assertThrows(IllegalArgumentException.class, () -> Tone.measure(0, nan)).getMessage());
        float[] scaled = image(0, 784, -1f); // an image in [-1, 1] passed as is
        assertEquals("Tone.measure: pixel 0 (row 0, column 0) is -1.0, outside [0, 1]",
                assertThrows(IllegalArgumentException.class, () -> Tone.garmentMean(scaled)).getMessage());
        assertEquals("FashionClass.of: label 10 is not a Fashion-MNIST class (0 to 9)",
                assertThrows(IllegalArgumentException.class, () -> Tone.measure(10, new float[Tone.PIXELS])).getMessage());
    }
}
