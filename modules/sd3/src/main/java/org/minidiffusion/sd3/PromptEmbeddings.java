package org.minidiffusion.sd3;

import java.util.Objects;
import org.minidiffusion.core.api.ShapeException;
import org.minidiffusion.core.api.Tensor;

/**
 * The conditioning of the MMDiT for a batch of prompts, as diffusers'
 * {@code StableDiffusion3Pipeline.encode_prompt} returns it: tokens {@code (B, Lc + Lt, jointAttentionDim)}
 * (the {@code encoder_hidden_states}) and pooled {@code (B, pooledDim)} (the {@code pooled_projections}).
 *
 * @param tokens CLIP's tokens then T5's, {@code (B, Lc + Lt, jointAttentionDim)}
 * @param pooled CLIP's projected pooled output, {@code (B, pooledDim)}
 */
public record PromptEmbeddings(Tensor tokens, Tensor pooled) {
    /**
     * Checks the shapes.
     *
     * @param tokens {@code (B, L, D)}
     * @param pooled {@code (B, P)}, with the same {@code B}
     * @throws ShapeException if the ranks or batch sizes differ
     */
    public PromptEmbeddings {
        Objects.requireNonNull(tokens, "tokens");
        Objects.requireNonNull(pooled, "pooled");
        if (tokens.rank() != 3 || pooled.rank() != 2 || tokens.size(0) != pooled.size(0)) {
            throw new ShapeException("PromptEmbeddings", "expects tokens (B, L, D) and pooled (B, P)",
                    tokens.shape(), pooled.shape());
        }
    }

    /**
     * Returns the number of prompts.
     *
     * @return {@code B}
     */
    public int batchSize() {
        return tokens.size(0);
    }

    /**
     * Returns the conditioning of some of the prompts, in the given order (indices may repeat).
     *
     * @param rows indices into the batch
     * @return tokens {@code (rows.length, L, D)} and pooled {@code (rows.length, P)}
     */
    public PromptEmbeddings select(int... rows) {
        return new PromptEmbeddings(tokens.indexSelect(0, rows), pooled.indexSelect(0, rows));
    }
}
