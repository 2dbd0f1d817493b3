package org.minidiffusion.sd3.train;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.function.IntConsumer;
import java.util.random.RandomGenerator;
import org.minidiffusion.core.api.Autograd;
import org.minidiffusion.core.api.Rng;
import org.minidiffusion.core.api.Tensor;
import org.minidiffusion.text.caption.Captioner;
import org.minidiffusion.text.caption.Split;
import org.minidiffusion.text.caption.Tone;
import org.minidiffusion.vae.AutoencoderKL;
import org.minidiffusion.vae.DiagonalGaussianDistribution;

/**
 * The training images as the frozen autoencoder sees them, encoded once: per image the posterior's
 * mean and standard deviation, its class and its measured tone.
 *
 * <p>Each draw samples a fresh latent {@code z = mean + std · eps} from the posterior, as latent
 * diffusion trains on samples of {@code q(z | x)} rather than its mode (Rombach et al. 2022,
 * section 3; diffusers' {@code latent_dist.sample()}), then applies the autoencoder's latent
 * scaling {@code (z − shift_factor) · scaling_factor}, and gives the image a fresh training caption
 * {@link Captioner#caption} of its class and tone, replaced by the empty prompt with the prompt-dropout
 * probability. Every draw reads only the generators it is given, so a run can repeat it exactly.
 *
 * <p>Images are padded to the next multiple of 8 with the background value −1, as {@code train-vae}
 * trained the autoencoder (28x28 becomes 32x32, a 4x8x8 latent); tones are measured on the original
 * 28x28 pixels by {@link Tone#measure}.
 */
public final class LatentDataset {
    /** The value of the padding: the background of Fashion-MNIST, black, in {@code [-1, 1]}. */
    public static final float BACKGROUND = -1f;

    private final int size;
    private final int channels;
    private final int side;
    private final float[] means;   // (N, C, h, w), unscaled
    private final float[] stds;    // (N, C, h, w)
    private final int[] labels;
    private final Tone[] tones;
    private final float shiftFactor;
    private final float scalingFactor;

    /** Labelled images in {@code [-1, 1]}, such as a Fashion-MNIST split. */
    public interface Images {
        /**
         * Returns the number of images.
         *
         * @return the size
         */
        int size();

        /**
         * Returns an image's class.
         *
         * @param index the image, in {@code [0, size())}
         * @return its label, 0 to 9
         */
        int label(int index);

        /**
         * Returns one image's pixels in {@code [0, 1]}, row by row, for {@link Tone#measure}.
         *
         * @param index the image
         * @return {@code H · W} values
         */
        float[] unitPixels(int index);

        /**
         * Returns images in the given order.
         *
         * @param indices the images
         * @return {@code (B, 1, H, W)} in {@code [-1, 1]}
         */
        Tensor images(int[] indices);
    }

    /**
     * One training batch.
     *
     * @param latents  the scaled latents {@code (B, C, h, w)}
     * @param captions one caption per image, {@code ""} where the prompt was dropped
     * @param labels   the images' classes
     * @param tones    the images' tones
     */
    public record Batch(Tensor latents, List<String> captions, int[] labels, Tone[] tones) {
    }

    /**
     * Wraps encoded latents.
     *
     * @param channels      the latent channels
     * @param side          the latent side
     * @param means         the posterior means, {@code size · channels · side²} values, image-major
     * @param stds          the posterior standard deviations, likewise, each >= 0
     * @param labels        the classes, 0 to 9
     * @param tones         the tones
     * @param shiftFactor   the autoencoder's {@code shift_factor}
     * @param scalingFactor the autoencoder's {@code scaling_factor}
     * @throws IllegalArgumentException if the lengths disagree or a value is not finite
     */
    public LatentDataset(int channels, int side, float[] means, float[] stds, int[] labels, Tone[] tones,
                         float shiftFactor, float scalingFactor) {
        int n = labels.length;
        int per = channels * side * side;
        if (channels < 1 || side < 1 || tones.length != n || means.length != (long) n * per || stds.length != means.length) {
            throw new IllegalArgumentException("LatentDataset: " + n + " labels, " + tones.length + " tones, "
                    + means.length + " means and " + stds.length + " standard deviations for latents " + channels + "x"
                    + side + "x" + side);
        }
        if (n == 0) {
            throw new IllegalArgumentException("LatentDataset: no images");
        }
        if (!Float.isFinite(shiftFactor) || !Float.isFinite(scalingFactor) || scalingFactor == 0f) {
            throw new IllegalArgumentException("LatentDataset: the latent scaling shift_factor " + shiftFactor
                    + ", scaling_factor " + scalingFactor + " must be finite, the scale not 0");
        }
        for (int i = 0; i < means.length; i++) {
            if (!Float.isFinite(means[i]) || !(stds[i] >= 0f) || !Float.isFinite(stds[i])) {
                throw new IllegalArgumentException("LatentDataset: value " + i + " (image " + i / per + ") has mean "
                        + means[i] + " and standard deviation " + stds[i]);
            }
        }
        for (int i = 0; i < n; i++) {
            if (labels[i] < 0 || labels[i] > 9 || tones[i] == null) {
                throw new IllegalArgumentException("LatentDataset: image " + i + " has label " + labels[i] + " and tone "
                        + tones[i]);
            }
        }
        this.size = n;
        this.channels = channels;
        this.side = side;
        this.means = means;
        this.stds = stds;
        this.labels = labels;
        this.tones = tones;
        this.shiftFactor = shiftFactor;
        this.scalingFactor = scalingFactor;
    }

    /**
     * Encodes every image with the autoencoder, without gradients, in chunks.
     *
     * @param vae      the frozen autoencoder; its config's latent scaling is applied at each draw
     * @param images   the images
     * @param chunk    images per forward pass
     * @param progress told the number of images encoded after each chunk, or null
     * @return the dataset
     */
    public static LatentDataset encode(AutoencoderKL vae, Images images, int chunk, IntConsumer progress) {
        int n = images.size();
        if (n < 1 || chunk < 1) {
            throw new IllegalArgumentException("LatentDataset.encode: " + n + " images in chunks of " + chunk);
        }
        int c = vae.config().latentChannels();
        int f = vae.config().downsamplingFactor();
        float[] means = null;
        float[] stds = null;
        int[] labels = new int[n];
        Tone[] tones = new Tone[n];
        int latentSide = -1;
        try (Autograd.Scope scope = Autograd.noGrad()) {
            for (int from = 0; from < n; from += chunk) {
                int[] idx = new int[Math.min(chunk, n - from)];
                for (int i = 0; i < idx.length; i++) {
                    idx[i] = from + i;
                    labels[from + i] = images.label(from + i);
                    tones[from + i] = Tone.measure(labels[from + i], images.unitPixels(from + i));
                }
                DiagonalGaussianDistribution q = vae.encode(pad(images.images(idx), 2 * f));
                float[] m = q.mean().toArray();
                float[] s = q.std().toArray();
                if (means == null) {
                    latentSide = q.mean().size(2);
                    long total = (long) n * c * latentSide * latentSide;
                    if (total > Integer.MAX_VALUE - 8) {
                        throw new IllegalArgumentException("LatentDataset.encode: " + n + " latents of " + c + "x"
                                + latentSide + "x" + latentSide + " do not fit in one array");
                    }
                    means = new float[(int) total];
                    stds = new float[(int) total];
                }
                int per = m.length / idx.length;
                System.arraycopy(m, 0, means, from * per, m.length);
                System.arraycopy(s, 0, stds, from * per, s.length);
                if (progress != null) {
                    progress.accept(from + idx.length);
                }
            }
        }
        return new LatentDataset(c, latentSide, means, stds, labels, tones, vae.config().shiftFactor(),
                vae.config().scalingFactor());
    }

    /**
     * Pads {@code (B, C, H, W)} images to the next multiple of {@code multiple} with {@link #BACKGROUND},
     * centred (the extra pixel, if odd, after), as {@code train-vae} does.
     *
     * @param images   the images
     * @param multiple the side to round up to a multiple of
     * @return the padded images
     */
    public static Tensor pad(Tensor images, int multiple) {
        int h = images.size(2);
        int w = images.size(3);
        int ph = (h + multiple - 1) / multiple * multiple - h;
        int pw = (w + multiple - 1) / multiple * multiple - w;
        return ph == 0 && pw == 0 ? images : images.pad(new int[] {pw / 2, pw - pw / 2, ph / 2, ph - ph / 2}, BACKGROUND);
    }

    /**
     * Returns the number of images.
     *
     * @return the size
     */
    public int size() {
        return size;
    }

    /**
     * Returns the latent channels.
     *
     * @return C
     */
    public int channels() {
        return channels;
    }

    /**
     * Returns the latent side.
     *
     * @return h (= w)
     */
    public int side() {
        return side;
    }

    /**
     * Returns an image's class.
     *
     * @param index the image
     * @return 0 to 9
     */
    public int label(int index) {
        return labels[Objects.checkIndex(index, size)];
    }

    /**
     * Returns an image's tone, measured once when the data were encoded.
     *
     * @param index the image
     * @return the tone
     */
    public Tone tone(int index) {
        return tones[Objects.checkIndex(index, size)];
    }

    /**
     * Returns the {@code shift_factor} applied at each draw.
     *
     * @return the shift
     */
    public float shiftFactor() {
        return shiftFactor;
    }

    /**
     * Returns the {@code scaling_factor} applied at each draw.
     *
     * @return the scale
     */
    public float scalingFactor() {
        return scalingFactor;
    }

    /**
     * Returns the posterior means, for saving; the caller does not modify them.
     *
     * @return {@code size · C · h · w} values
     */
    public float[] means() {
        return means;
    }

    /**
     * Returns the posterior standard deviations, for saving; the caller does not modify them.
     *
     * @return {@code size · C · h · w} values
     */
    public float[] stds() {
        return stds;
    }

    /**
     * Draws a batch: for each image in order, its caption from {@code captions}; then the prompt
     * dropout, one more draw of {@code captions} per image; then the posterior samples from {@code noise}.
     *
     * @param indices  the images
     * @param captions the generator of captions and prompt dropout
     * @param noise    the generator of the posterior samples
     * @param dropout  the prompt dropout
     * @return the scaled latents and the captions
     */
    public Batch draw(int[] indices, Rng captions, Rng noise, PromptDropout dropout) {
        RandomGenerator random = captions::nextLong;
        List<String> texts = new ArrayList<>(indices.length);
        int[] batchLabels = new int[indices.length];
        Tone[] batchTones = new Tone[indices.length];
        for (int b = 0; b < indices.length; b++) {
            int i = Objects.checkIndex(indices[b], size);
            batchLabels[b] = labels[i];
            batchTones[b] = tones[i];
            texts.add(Captioner.caption(labels[i], tones[i], Split.TRAINING, random));
        }
        List<String> prompts = dropout.apply(texts, captions);
        int per = channels * side * side;
        float[] z = new float[indices.length * per];
        for (int b = 0; b < indices.length; b++) {
            int from = indices[b] * per;
            for (int k = 0; k < per; k++) {
                float sample = means[from + k] + stds[from + k] * (float) noise.nextGaussian();   // z ~ q(z | x)
                z[b * per + k] = (sample - shiftFactor) * scalingFactor;                          // SD3's latent scaling
            }
        }
        return new Batch(Tensor.of(z, indices.length, channels, side, side), List.copyOf(prompts), batchLabels,
                batchTones);
    }

    /**
     * Returns an order-sensitive 64-bit fingerprint of the encoded data (latents, labels, tones and
     * scaling), so a resumed run can check it trains on the same data.
     *
     * @return the FNV-1a hash
     */
    public long fingerprint() {
        long h = 0xcbf29ce484222325L;
        h = mix(h, size);
        h = mix(h, channels);
        h = mix(h, side);
        h = mix(h, Float.floatToIntBits(shiftFactor));
        h = mix(h, Float.floatToIntBits(scalingFactor));
        for (int i = 0; i < size; i++) {
            h = mix(h, labels[i] * 3 + tones[i].ordinal());
        }
        for (float v : means) {
            h = mix(h, Float.floatToIntBits(v));
        }
        for (float v : stds) {
            h = mix(h, Float.floatToIntBits(v));
        }
        return h;
    }

    private static long mix(long h, int v) {
        return (h ^ v) * 0x100000001b3L;
    }

    @Override
    public String toString() {
        return "LatentDataset[" + size + " images, latents " + channels + "x" + side + "x" + side + ", tones "
                + Arrays.toString(toneCounts()) + "]";
    }

    /**
     * Returns how many images have each tone.
     *
     * @return counts indexed by {@link Tone#ordinal()}
     */
    public int[] toneCounts() {
        int[] counts = new int[Tone.values().length];
        for (Tone t : tones) {
            counts[t.ordinal()]++;
        }
        return counts;
    }
}
