package org.minidiffusion.dit;

import org.minidiffusion.core.api.AbstractLayer;
import org.minidiffusion.core.api.Rng;
import org.minidiffusion.core.api.Tensor;

/**
 * SD3's conditioning vector (Esser et al. 2024, figure 2a; diffusers'
 * {@code CombinedTimestepTextProjEmbeddings}): {@code temb = timestep_embedder(sinusoid(t)) + text_embedder(pooled)},
 * both two-layer MLPs with SiLU ({@link TimestepEmbedding}) to D.
 */
public final class CombinedTimestepTextProjEmbeddings extends AbstractLayer {
    private final TimestepEmbedding timestepEmbedder;
    private final TimestepEmbedding textEmbedder;

    /**
     * Creates the embedding.
     *
     * @param dim       D
     * @param pooledDim the size of the pooled text embedding
     * @param rng       the generator for the initial weights
     */
    public CombinedTimestepTextProjEmbeddings(int dim, int pooledDim, Rng rng) {
        this.timestepEmbedder = child("timestep_embedder", new TimestepEmbedding(Timesteps.DIM, dim, rng));
        this.textEmbedder = child("text_embedder", new TimestepEmbedding(pooledDim, dim, rng));
    }

    /** Not defined without the pooled text; use {@link #forward(Tensor, Tensor)}. */
    @Override
    public Tensor forward(Tensor x) {
        throw new UnsupportedOperationException("CombinedTimestepTextProjEmbeddings needs timesteps and pooled text: "
                + "call forward(t, pooled)");
    }

    /**
     * Returns the conditioning.
     *
     * @param t      timesteps {@code (B)}
     * @param pooled the pooled text embedding {@code (B, pooled_projection_dim)}
     * @return {@code (B, D)}
     */
    public Tensor forward(Tensor t, Tensor pooled) {
        return timestepEmbedder.forward(Timesteps.sinusoid(t, Timesteps.DIM)).add(textEmbedder.forward(pooled));
    }
}
