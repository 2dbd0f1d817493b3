package org.minidiffusion.transformer.clip;

import org.minidiffusion.core.api.ShapeException;
import org.minidiffusion.core.api.Tensor;

/**
 * CLIP's symmetric contrastive loss (Radford et al. 2021, Figure 3): the image and text
 * embeddings are L2-normalised, {@code logits = exp(t) · I Tᵀ} with a learned log-temperature
 * {@code t} (initialised to {@code log(1/0.07)}, the scale clamped at 100, section 2.5), and the
 * loss is the mean of the cross-entropies over the rows (image to text) and over the columns
 * (text to image).
 *
 * <p>The targets are the identity (pair {@code i} matches pair {@code i} only) or, with
 * {@link #targets(int[])}, every pair of a batch in the same group: row {@code i} then has the
 * target distribution spread evenly over the texts of its group, as in UniCL (Yang et al. 2022,
 * eq. 3), for captions that differ but describe the same thing (synonyms, one label). With one pair
 * per group both are CLIP's loss; so are they when the texts of a group are identical, since their
 * logit columns are then equal. Everything is tensor ops, so autograd gives the gradients.
 */
public final class ClipLoss {
    /** The initial log-temperature, {@code log(1/0.07)} (Radford et al. 2021, section 2.5). */
    public static final float INITIAL_LOGIT_SCALE = (float) Math.log(1 / 0.07);
    /** The largest logit scale, {@code exp(t)} being clamped here "to prevent training instability". */
    public static final float MAX_SCALE = 100f;

    private ClipLoss() {
    }

    /**
     * Returns each row divided by its L2 norm (at least 1e-12, as {@code F.normalize}).
     *
     * @param x {@code (B, P)}
     * @return {@code (B, P)} of unit rows
     */
    public static Tensor normalize(Tensor x) {
        if (x.rank() != 2) {
            throw new ShapeException("ClipLoss.normalize", "expects embeddings (B, P)", x.shape());
        }
        return x.div(x.mul(x).sum(new int[] {1}, true).sqrt().clamp(1e-12f, Float.MAX_VALUE));
    }

    /**
     * Returns the scale of the logits, {@code min(exp(t), 100)}.
     *
     * @param logitScale the log-temperature {@code t}, a one-element tensor
     * @return the scale, of the same shape
     */
    public static Tensor scale(Tensor logitScale) {
        if (logitScale.numel() != 1) {
            throw new ShapeException("ClipLoss", "the log-temperature must hold one value", logitScale.shape());
        }
        return logitScale.exp().clamp(0f, MAX_SCALE);
    }

    /**
     * Returns the logits of each image against each text.
     *
     * @param imageEmbeds {@code (B, P)}, not yet normalised
     * @param textEmbeds  {@code (N, P)}, not yet normalised
     * @param logitScale  the log-temperature {@code t}
     * @return {@code (B, N)}: {@code exp(t) · Î T̂ᵀ}, {@code logits_per_image}; its transpose is {@code logits_per_text}
     */
    public static Tensor logits(Tensor imageEmbeds, Tensor textEmbeds, Tensor logitScale) {
        if (imageEmbeds.rank() != 2 || textEmbeds.rank() != 2 || imageEmbeds.size(1) != textEmbeds.size(1)) {
            throw new ShapeException("ClipLoss", "expects image (B, P) and text (N, P) embeddings",
                    imageEmbeds.shape(), textEmbeds.shape());
        }
        Tensor i = normalize(imageEmbeds);                            // (B, P)
        Tensor t = normalize(textEmbeds);                             // (N, P)
        return i.matmul(t.transpose(0, 1)).mul(scale(logitScale).reshape(1, 1)); // (B, N)
    }

    /**
     * Returns the targets of a batch whose pair {@code i} is in group {@code groups[i]} (such as the
     * index of its caption among the distinct captions): 1 where two pairs share a group, else 0.
     *
     * @param groups a group per pair
     * @return {@code (B, B)} symmetric, with ones on the diagonal
     */
    public static Tensor targets(int[] groups) {
        int b = groups.length;
        float[] y = new float[b * b];
        for (int i = 0; i < b; i++) {
            for (int j = 0; j < b; j++) {
                y[i * b + j] = groups[i] == groups[j] ? 1f : 0f;
            }
        }
        return Tensor.of(y, b, b);
    }

    /**
     * Returns the symmetric contrastive loss with the identity targets: CLIP's
     * {@code (CE(logits, arange(B), rows) + CE(logits, arange(B), columns)) / 2}.
     *
     * @param logitsPerImage {@code (B, B)}
     * @return the loss, a scalar
     */
    public static Tensor loss(Tensor logitsPerImage) {
        return loss(logitsPerImage, null);
    }

    /**
     * Returns the symmetric contrastive loss: the mean over rows of the cross-entropy between each
     * row's softmax and its target distribution (the row of {@code targets} over its sum), and the
     * same over columns, averaged.
     *
     * @param logitsPerImage {@code (B, B)}
     * @param targets        {@code (B, B)} of 0 and 1 with a non-zero diagonal, or null for the identity
     * @return the loss, a scalar
     */
    public static Tensor loss(Tensor logitsPerImage, Tensor targets) {
        if (logitsPerImage.rank() != 2 || logitsPerImage.size(0) != logitsPerImage.size(1)) {
            throw new ShapeException("ClipLoss", "expects square logits (B, B)", logitsPerImage.shape());
        }
        int b = logitsPerImage.size(0);
        float[] y = targets == null ? identity(b) : checkTargets(targets, b);
        float[] rows = new float[b * b];   // y_ij / sum_k y_ik: image i's target distribution over texts
        float[] cols = new float[b * b];   // y_ij / sum_k y_kj: text j's target distribution over images
        for (int i = 0; i < b; i++) {
            float rowSum = 0f;
            float colSum = 0f;
            for (int j = 0; j < b; j++) {
                rowSum += y[i * b + j];
                colSum += y[j * b + i];
            }
            for (int j = 0; j < b; j++) {
                rows[i * b + j] = y[i * b + j] / rowSum;
                cols[j * b + i] = y[j * b + i] / colSum;
            }
        }
        Tensor imageToText = logitsPerImage.logSoftmax(1).mul(Tensor.of(rows, b, b)).sum().neg().div(b);
        Tensor textToImage = logitsPerImage.logSoftmax(0).mul(Tensor.of(cols, b, b)).sum().neg().div(b);
        return imageToText.add(textToImage).mul(0.5f);
    }

    private static float[] identity(int b) {
        float[] y = new float[b * b];
        for (int i = 0; i < b; i++) {
            y[i * b + i] = 1f;
        }
        return y;
    }

    private static float[] checkTargets(Tensor targets, int b) {
        if (targets.rank() != 2 || targets.size(0) != b || targets.size(1) != b) {
            throw new ShapeException("ClipLoss", "the targets must be (B, B) as the logits", targets.shape());
        }
        float[] y = targets.toArray();
        for (int i = 0; i < y.length; i++) {
            if (y[i] != 0f && y[i] != 1f) {
                throw new IllegalArgumentException("ClipLoss: target [" + i / b + "][" + i % b + "] is " + y[i]
                        + "; targets are 0 or 1");
            }
        }
        for (int i = 0; i < b; i++) {
            if (y[i * b + i] != 1f) {
                throw new IllegalArgumentException("ClipLoss: target [" + i + "][" + i + "] is 0; each pair is its own target");
            }
        }
        return y;
    }
}
