package org.minidiffusion.transformer.clip;

import java.util.Objects;
import org.minidiffusion.core.api.AbstractParameterized;
import org.minidiffusion.core.api.Parameter;
import org.minidiffusion.core.api.Tensor;

/**
 * The two towers of CLIP and their learned temperature (Radford et al. 2021, Figure 3): a
 * {@link ClipTextModel} with its text projection, a {@link ClipImageEncoder}, and the
 * log-temperature {@code logit_scale}, initialised to {@code log(1/0.07)}.
 *
 * <p>Parameter names: {@code text_encoder.*} (Hugging Face's {@code CLIPTextModelWithProjection}
 * names after the prefix), {@code image_encoder.*} and {@code logit_scale}.
 */
public final class ClipModel extends AbstractParameterized {
    private final ClipTextModel textEncoder;
    private final ClipImageEncoder imageEncoder;
    private final Parameter logitScale;

    /**
     * What a forward pass gives.
     *
     * @param imageEmbeds    {@code (B, P)}, projected, not normalised
     * @param textEmbeds     {@code (B, P)}, projected, not normalised
     * @param logitsPerImage {@code (B, B)}, {@code exp(t) · Î T̂ᵀ}
     * @param loss           the symmetric contrastive loss, a scalar
     */
    public record Output(Tensor imageEmbeds, Tensor textEmbeds, Tensor logitsPerImage, Tensor loss) {
    }

    /**
     * Joins two towers; the text encoder must have a projection of the image encoder's size.
     *
     * @param textEncoder  the text tower, with {@code text_projection}
     * @param imageEncoder the image tower
     */
    public ClipModel(ClipTextModel textEncoder, ClipImageEncoder imageEncoder) {
        Objects.requireNonNull(textEncoder, "textEncoder");
        Objects.requireNonNull(imageEncoder, "imageEncoder");
        if (!textEncoder.parameters().containsKey("text_projection.weight")) {
            throw new IllegalArgumentException("ClipModel: the text encoder has no text_projection");
        }
        if (textEncoder.config().projectionDim() != imageEncoder.config().projectionDim()) {
            throw new IllegalArgumentException("ClipModel: the text projection_dim " + textEncoder.config().projectionDim()
                    + " differs from the image projection_dim " + imageEncoder.config().projectionDim());
        }
        this.textEncoder = child("text_encoder", textEncoder);
        this.imageEncoder = child("image_encoder", imageEncoder);
        this.logitScale = parameter("logit_scale", Tensor.of(new float[] {ClipLoss.INITIAL_LOGIT_SCALE}, 1));
    }

    /** Returns the text tower. */
    public ClipTextModel textEncoder() {
        return textEncoder;
    }

    /** Returns the image tower. */
    public ClipImageEncoder imageEncoder() {
        return imageEncoder;
    }

    /** Returns the log-temperature {@code t}, shape {@code (1)}. */
    public Parameter logitScale() {
        return logitScale;
    }

    /**
     * Returns the projected pooled text embeddings, {@code textEncoder().encode(inputIds, null).textEmbeds()},
     * computing each distinct sequence once and only up to the last end token of the batch: under the
     * causal mask a token's state depends on the tokens before it alone, so the padding after each
     * end token cannot change the pooled output (up to the order of float sums), and repeated
     * captions share one row whose gradient gathers theirs.
     *
     * @param inputIds {@code B} token sequences of one length
     * @return {@code (B, P)}
     */
    public Tensor encodeText(int[][] inputIds) {
        int b = inputIds.length;
        int[] row = new int[b];
        int[] firstOf = new int[b];
        int distinct = 0;
        int keep = 1;
        for (int i = 0; i < b; i++) {
            row[i] = -1;
            for (int u = 0; u < distinct && row[i] < 0; u++) {
                if (java.util.Arrays.equals(inputIds[i], inputIds[firstOf[u]])) {
                    row[i] = u;
                }
            }
            if (row[i] < 0) {
                firstOf[distinct] = i;
                row[i] = distinct++;
                keep = Math.max(keep, textEncoder.endOfText(inputIds[i]) + 1);
            }
        }
        int[][] unique = new int[distinct][];
        for (int u = 0; u < distinct; u++) {
            unique[u] = java.util.Arrays.copyOf(inputIds[firstOf[u]], keep);
        }
        Tensor embeds = textEncoder.encode(unique, null).textEmbeds();            // (U, P)
        return distinct == b ? embeds : embeds.indexSelect(0, row);               // (B, P)
    }

    /**
     * Runs both towers on a batch of pairs and returns the contrastive loss.
     *
     * @param images   {@code (B, C, H, W)}
     * @param inputIds {@code B} token sequences of one length, each with its end token
     * @param targets  {@code (B, B)} of 0 and 1 ({@link ClipLoss#targets}), or null for the identity
     * @return the embeddings, logits and loss
     */
    public Output forward(Tensor images, int[][] inputIds, Tensor targets) {
        if (images.rank() < 1 || images.size(0) != inputIds.length) {
            throw new IllegalArgumentException("ClipModel: " + (images.rank() < 1 ? 0 : images.size(0)) + " images but "
                    + inputIds.length + " captions");
        }
        Tensor image = imageEncoder.forward(images);                              // (B, P)
        Tensor text = encodeText(inputIds);                                       // (B, P), pooled at the end token
        Tensor logits = ClipLoss.logits(image, text, logitScale.value());         // (B, B)
        return new Output(image, text, logits, ClipLoss.loss(logits, targets));
    }
}
