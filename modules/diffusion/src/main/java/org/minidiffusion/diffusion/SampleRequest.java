package org.minidiffusion.diffusion;

import java.util.Arrays;

/**
 * What to sample: the shape, the number of steps and their spacing, and optionally class labels
 * with a classifier-free guidance scale.
 *
 * <pre>{@code
 * SampleRequest.of(50, 8, 1, 28, 28)               // 50 steps, 8 images of 1 x 28 x 28
 *         .withClassLabels(0, 1, 2, 3, 4, 5, 6, 7)
 *         .withGuidance(3f, 10);                   // scale 3, the model's null class is 10
 * }</pre>
 *
 * <p><b>Guidance</b> (Ho and Salimans 2022): the output is
 * {@code ε̂ = ε_uncond + scale · (ε_cond − ε_uncond)}, applied to the raw model output whatever the
 * prediction type, as diffusers does. This {@code scale} is {@code 1 + w} in the paper's eq. 6:
 * scale 1 is the conditional model alone (one model call per step), scale 0 the unconditional
 * one. Any other scale runs both in one batched call per step.
 *
 * @param shape         the sample shape {@code (B, ...)}
 * @param steps         the number of sampling steps, in {@code [1, T]}
 * @param spacing       how the steps are spread over {@code [0, T)}
 * @param classLabels   one label per sample, or {@code null} for an unconditional model
 * @param guidanceScale the classifier-free guidance scale; 1 means no guidance
 * @param nullClass     the model's "no class" label, used when {@code guidanceScale != 1}
 * @param listener      called after each step
 */
public record SampleRequest(int[] shape, int steps, TimestepSpacing spacing, int[] classLabels,
                            float guidanceScale, int nullClass, ProgressListener listener) {

    /**
     * Checks the arguments and copies the arrays.
     *
     * @param shape         the sample shape {@code (B, ...)}
     * @param steps         the number of sampling steps
     * @param spacing       the timestep spacing
     * @param classLabels   one label per sample, or {@code null}
     * @param guidanceScale the guidance scale; 1 means none
     * @param nullClass     the model's "no class" label, or −1 without guidance
     * @param listener      called after each step
     * @throws IllegalArgumentException if a value is out of range or the labels do not match the batch
     */
    public SampleRequest {
        if (shape.length == 0 || Arrays.stream(shape).anyMatch(d -> d <= 0)) {
            throw new IllegalArgumentException("SampleRequest: bad sample shape " + Arrays.toString(shape));
        }
        if (steps < 1) {
            throw new IllegalArgumentException("SampleRequest: steps must be at least 1, got " + steps);
        }
        if (spacing == null || listener == null) {
            throw new IllegalArgumentException("SampleRequest: spacing and listener must not be null");
        }
        if (classLabels != null && classLabels.length != shape[0]) {
            throw new IllegalArgumentException("SampleRequest: " + classLabels.length + " class labels for a batch of "
                    + shape[0]);
        }
        if (guidanceScale != 1f && (classLabels == null || nullClass < 0)) {
            throw new IllegalArgumentException("SampleRequest: guidance scale " + guidanceScale
                    + " needs class labels and the model's null class; give the labels first");
        }
        shape = shape.clone();
        classLabels = classLabels == null ? null : classLabels.clone();
    }

    /**
     * Returns an unconditional request with {@link TimestepSpacing#TRAILING trailing} spacing.
     *
     * @param steps the number of sampling steps
     * @param shape the sample shape {@code (B, ...)}
     * @return the request
     */
    public static SampleRequest of(int steps, int... shape) {
        return new SampleRequest(shape, steps, TimestepSpacing.TRAILING, null, 1f, -1, ProgressListener.NONE);
    }

    /**
     * Returns this request with another timestep spacing.
     *
     * @param spacing the spacing
     * @return the new request
     */
    public SampleRequest withSpacing(TimestepSpacing spacing) {
        return new SampleRequest(shape, steps, spacing, classLabels, guidanceScale, nullClass, listener);
    }

    /**
     * Returns this request with one class label per sample.
     *
     * @param labels the labels, {@code B} of them
     * @return the new request
     */
    public SampleRequest withClassLabels(int... labels) {
        return new SampleRequest(shape, steps, spacing, labels, guidanceScale, nullClass, listener);
    }

    /**
     * Returns this request with classifier-free guidance; the class labels must be set first.
     *
     * @param scale     the guidance scale, {@code 1 + w} of Ho and Salimans
     * @param nullClass the label the model reads as "no class"
     * @return the new request
     */
    public SampleRequest withGuidance(float scale, int nullClass) {
        return new SampleRequest(shape, steps, spacing, classLabels, scale, nullClass, listener);
    }

    /**
     * Returns this request with a progress listener.
     *
     * @param listener called after each step
     * @return the new request
     */
    public SampleRequest withListener(ProgressListener listener) {
        return new SampleRequest(shape, steps, spacing, classLabels, guidanceScale, nullClass, listener);
    }

    /**
     * Returns the sample shape.
     *
     * @return a copy of the shape
     */
    @Override
    public int[] shape() {
        return shape.clone();
    }

    /**
     * Returns the class labels.
     *
     * @return a copy of the labels, or {@code null}
     */
    @Override
    public int[] classLabels() {
        return classLabels == null ? null : classLabels.clone();
    }

    /**
     * Returns whether each step combines a conditional and an unconditional prediction.
     *
     * @return {@code guidanceScale != 1}
     */
    public boolean guided() {
        return guidanceScale != 1f;
    }
}
