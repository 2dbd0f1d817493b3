package org.minidiffusion.text.caption;

import java.util.List;
import java.util.Objects;

/**
 * How dark or light a garment looks, measured on a 28 x 28 Fashion-MNIST image.
 *
 * <p>The rule, the same for dataset images and generated ones:
 * <ol>
 *   <li>Pixels are in {@code [0, 1]}, 0 black and 1 white, as this project writes images to PNG
 *       (a dataset byte {@code b} is {@code b / 255}; a generated image in {@code [-1, 1]} is
 *       {@code (x + 1) / 2}). Fashion-MNIST drew each product negated on a black background, so a
 *       garment that looks light here was dark in the shop's photograph: the tone is the one seen
 *       in the 28 x 28 image.</li>
 *   <li>The garment is the pixels above {@value #GARMENT_THRESHOLD}. With fewer than
 *       {@value #MIN_GARMENT_PIXELS} of them there is nothing to measure, and the tone is
 *       {@link #NONE} (so a blank image never counts as dark).</li>
 *   <li>{@code m} is the mean of the garment's pixels. The tone is {@link #DARK} if
 *       {@code m < darkBelow(label)}, {@link #LIGHT} if {@code m >= lightFrom(label)}, and {@link #NONE}
 *       in between.</li>
 * </ol>
 * The two thresholds of each class are the tertiles of {@code m} over that class's 6,000 images
 * of the 60,000-image training split, rounded to three decimals
 * ({@code tools/tone_thresholds.py} recomputes them), so each class has about a third of dark,
 * light and untoned images. They are relative to the class: sandals are sparse straps and measure
 * darker than coats, and "a dark sandal" is dark for a sandal.
 */
public enum Tone {
    /** The darker third of the class. */
    DARK(List.of("dark", "dark-coloured", "deep-toned"), List.of("dark-toned")),
    /** The lighter third of the class. */
    LIGHT(List.of("light", "light-toned", "pale"), List.of("light-coloured")),
    /** The middle third: captions name no tone. */
    NONE(List.of(), List.of());

    /** A pixel above this value belongs to the garment. */
    public static final float GARMENT_THRESHOLD = 0.1f;
    /** Fewer garment pixels than this leave the tone {@link #NONE}. */
    public static final int MIN_GARMENT_PIXELS = 16;
    /** The number of pixels of an image, 28 x 28. */
    public static final int PIXELS = 28 * 28;

    /** Per label: the garment mean below which the image is dark (the first tertile). */
    private static final double[] DARK_BELOW = {0.523, 0.631, 0.527, 0.598, 0.656, 0.471, 0.462, 0.534, 0.626, 0.658};
    /** Per label: the garment mean from which the image is light (the second tertile). */
    private static final double[] LIGHT_FROM = {0.726, 0.751, 0.742, 0.761, 0.770, 0.569, 0.689, 0.634, 0.729, 0.738};

    private final List<String> training;
    private final List<String> heldOut;

    Tone(List<String> training, List<String> heldOut) {
        this.training = training;
        this.heldOut = heldOut;
    }

    /**
     * Returns the words that name this tone in captions of one split.
     *
     * @param split the training words, or the held-out ones
     * @return the adjectives, empty for {@link #NONE}
     */
    public List<String> words(Split split) {
        return Objects.requireNonNull(split, "split") == Split.TRAINING ? training : heldOut;
    }

    /**
     * Measures the tone of an image of a class.
     *
     * @param label  the class, 0 to 9: the thresholds are the class's
     * @param pixels the 28 x 28 image, row by row, each in {@code [0, 1]}
     * @return the tone
     * @throws IllegalArgumentException if the label is out of range, the image does not have 784
     *         pixels, or a pixel is outside {@code [0, 1]} (naming it)
     */
    public static Tone measure(int label, float[] pixels) {
        FashionClass.of(label); // checks the label
        double m = garmentMean(pixels);
        if (Double.isNaN(m)) {
            return NONE;
        }
        return m < DARK_BELOW[label] ? DARK : m >= LIGHT_FROM[label] ? LIGHT : NONE;
    }

    /**
     * Returns the mean of the garment's pixels: those above {@link #GARMENT_THRESHOLD}.
     *
     * @param pixels the 28 x 28 image, row by row, each in {@code [0, 1]}
     * @return the mean, or NaN if fewer than {@link #MIN_GARMENT_PIXELS} pixels are above the threshold
     * @throws IllegalArgumentException if the image does not have 784 pixels or a pixel is outside {@code [0, 1]}
     */
    public static double garmentMean(float[] pixels) {
        Objects.requireNonNull(pixels, "pixels");
        if (pixels.length != PIXELS) {
            throw new IllegalArgumentException("Tone.measure: expected a 28 x 28 image of " + PIXELS + " pixels, got "
                    + pixels.length + " pixels");
        }
        double sum = 0;
        int count = 0;
        for (int i = 0; i < PIXELS; i++) {
            float v = pixels[i];
            if (!(v >= 0f && v <= 1f)) {
                throw new IllegalArgumentException("Tone.measure: pixel " + i + " (row " + i / 28 + ", column " + i % 28
                        + ") is " + v + ", outside [0, 1]");
            }
            if (v > GARMENT_THRESHOLD) {
                sum += v;
                count++;
            }
        }
        return count < MIN_GARMENT_PIXELS ? Double.NaN : sum / count;
    }

    /**
     * Returns the garment mean below which an image of a class is {@link #DARK}.
     *
     * @param label the class, 0 to 9
     * @return the threshold
     */
    public static double darkBelow(int label) {
        return DARK_BELOW[FashionClass.of(label).label()];
    }

    /**
     * Returns the garment mean from which an image of a class is {@link #LIGHT}.
     *
     * @param label the class, 0 to 9
     * @return the threshold
     */
    public static double lightFrom(int label) {
        return LIGHT_FROM[FashionClass.of(label).label()];
    }
}
