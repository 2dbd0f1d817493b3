package org.minidiffusion.transformer.clip;

import java.util.Arrays;
import java.util.function.IntUnaryOperator;
import org.minidiffusion.core.api.Autograd;
import org.minidiffusion.core.api.Tensor;

/**
 * Measures how well a {@link ClipModel} matches held-out images and captions: within each chunk of
 * pairs, the fraction of images whose best-scoring caption is their own (or identical to it, or of
 * the same group), and of captions whose best-scoring image is theirs (the same).
 */
public final class ClipRetrieval {
    private ClipRetrieval() {
    }

    /**
     * The scores.
     *
     * @param pairs       the pairs measured
     * @param imageToText the top-1 accuracy of captions retrieved for each image
     * @param textToImage the top-1 accuracy of images retrieved for each caption
     * @param chance      the accuracy of a random choice: the mean share of identical captions in a chunk
     */
    public record Result(int pairs, double imageToText, double textToImage, double chance) {
    }

    /**
     * Scores the pairs {@code indices}, in chunks of {@code chunk} (the last may be shorter, or one longer
     * rather than a lone pair), in
     * evaluation mode without gradients.
     *
     * @param model   the model
     * @param data    the pairs
     * @param indices the pairs to measure, at least 2
     * @param chunk   the pairs compared with each other, at least 2
     * @return the scores
     */
    public static Result measure(ClipModel model, ImageTextPairs data, int[] indices, int chunk) {
        return measure(model, data, indices, chunk, null);
    }

    /**
     * Scores the pairs {@code indices} as {@link #measure(ClipModel, ImageTextPairs, int[], int)}
     * does, a retrieval counting as right when it finds a pair of the same group (such as the
     * class of the image) rather than the same caption.
     *
     * @param model   the model
     * @param data    the pairs
     * @param indices the pairs to measure, at least 2
     * @param chunk   the pairs compared with each other, at least 2
     * @param group   the group of each pair index, or null for "the same token ids"
     * @return the scores, the chance level being the mean share of a chunk in a pair's group
     */
    public static Result measure(ClipModel model, ImageTextPairs data, int[] indices, int chunk, IntUnaryOperator group) {
        if (indices.length < 2 || chunk < 2) {
            throw new IllegalArgumentException("ClipRetrieval: needs at least 2 pairs and chunks of 2, got "
                    + indices.length + " and " + chunk);
        }
        boolean training = model.isTraining();
        model.train(false);
        double i2t = 0;
        double t2i = 0;
        double chance = 0;
        try (Autograd.Scope scope = Autograd.noGrad()) {
            for (int from = 0; from < indices.length; ) {
                int to = Math.min(indices.length, from + chunk);
                if (indices.length - to == 1) {
                    to = indices.length;                       // no chunk of one pair: the last joins this one
                }
                int[] part = Arrays.copyOfRange(indices, from, to);
                from = to;
                int[][] ids = new int[part.length][];
                for (int i = 0; i < part.length; i++) {
                    ids[i] = data.tokenIds(part[i]);
                }
                int[] groups = ClipTrainer.captionGroups(ids);
                if (group != null) {
                    for (int i = 0; i < part.length; i++) {
                        groups[i] = group.applyAsInt(part[i]);
                    }
                }
                Tensor image = model.imageEncoder().forward(data.images(part));
                Tensor text = model.encodeText(ids);
                Tensor logits = ClipLoss.logits(image, text, model.logitScale().value());
                i2t += ClipTrainer.accuracy(logits, groups) * part.length;
                t2i += ClipTrainer.accuracy(logits.transpose(0, 1), groups) * part.length;
                for (int g : groups) {
                    for (int h : groups) {
                        chance += h == g ? 1.0 / part.length : 0;
                    }
                }
            }
        } finally {
            model.train(training);
        }
        return new Result(indices.length, i2t / indices.length, t2i / indices.length, chance / indices.length);
    }
}
