package org.minidiffusion.dit;

import org.minidiffusion.core.api.AbstractLayer;
import org.minidiffusion.core.api.Layer;
import org.minidiffusion.core.api.Rng;
import org.minidiffusion.core.api.ShapeException;
import org.minidiffusion.core.api.Tensor;
import org.minidiffusion.nn.LayerList;
import org.minidiffusion.nn.Linear;

/**
 * The Diffusion Transformer (Peebles and Xie 2023, section 3 and figure 3), conditioned on the
 * timestep (class labels, if any, are added to the conditioning by the caller): patchify with a
 * fixed 2-D sine-cosine position table ({@code x_embedder}), the timestep embedder
 * ({@code t_embedder.mlp = [Linear(256, D), SiLU, Linear(D, D)]} on {@link Timesteps}), N
 * {@link DiTBlock}s, the {@link DiTFinalLayer} and unpatchify. Names are facebookresearch/DiT's,
 * except that the fixed table is not a parameter.
 */
public final class DiT extends AbstractLayer {
    private final int inputSize;
    private final int patch;
    private final int inChannels;
    private final int outChannels;
    private final PatchEmbed xEmbedder;
    private final TimestepEmbedder tEmbedder;
    private final LayerList<DiTBlock> blocks;
    private final DiTFinalLayer finalLayer;

    /**
     * Creates a DiT whose blocks and final layer start at zero modulation (so it predicts zero).
     *
     * @param inputSize   the latent side, a multiple of the patch size
     * @param patch       p
     * @param inChannels  input channels
     * @param hiddenSize  D, divisible by 4 and by the heads
     * @param depth       blocks
     * @param heads       attention heads
     * @param outChannels output channels (twice the input channels when the variance is learned)
     * @param rng         the generator for the initial weights
     */
    public DiT(int inputSize, int patch, int inChannels, int hiddenSize, int depth, int heads, int outChannels, Rng rng) {
        if (patch <= 0 || inputSize % patch != 0) {
            throw new IllegalArgumentException("DiT: input_size " + inputSize + " is not a multiple of patch_size " + patch);
        }
        this.inputSize = inputSize;
        this.patch = patch;
        this.inChannels = inChannels;
        this.outChannels = outChannels;
        int grid = inputSize / patch;
        this.xEmbedder = child("x_embedder", new PatchEmbed(inChannels, hiddenSize, patch, grid, grid, false, false, rng));
        this.tEmbedder = child("t_embedder", new TimestepEmbedder(hiddenSize, rng));
        this.blocks = child("blocks", new LayerList<>());
        for (int i = 0; i < depth; i++) {
            blocks.add(new DiTBlock(hiddenSize, heads, 4f, rng));
        }
        this.finalLayer = child("final_layer", new DiTFinalLayer(hiddenSize, patch, outChannels, rng));
    }

    /** Not defined without timesteps; use {@link #forward(Tensor, Tensor)}. */
    @Override
    public Tensor forward(Tensor x) {
        throw new UnsupportedOperationException("DiT needs timesteps: call forward(x, t)");
    }

    /**
     * Predicts the model output for noisy latents.
     *
     * @param x latents {@code (B, C, S, S)} with {@code S = input_size}
     * @param t timesteps {@code (B)}
     * @return {@code (B, out_channels, S, S)}
     */
    public Tensor forward(Tensor x, Tensor t) {
        if (x.rank() != 4 || x.size(1) != inChannels || x.size(2) != inputSize || x.size(3) != inputSize
                || t.rank() != 1 || t.size(0) != x.size(0)) {
            throw new ShapeException("DiT", "expects latents (B, " + inChannels + ", " + inputSize + ", " + inputSize
                    + ") and timesteps (B)", x.shape(), t.shape());
        }
        Tensor h = xEmbedder.forward(x);                                  // (B, T, D)
        Tensor c = tEmbedder.forward(t);                           // (B, D)
        for (DiTBlock block : blocks) {
            h = block.forward(h, c);
        }
        int grid = inputSize / patch;
        return PatchEmbed.unpatchify(finalLayer.forward(h, c), grid, grid, patch, outChannels);
    }

    /** DiT's {@code TimestepEmbedder}: {@code mlp = [Linear(256, D), SiLU, Linear(D, D)]} on the sinusoidal features. */
    private static final class TimestepEmbedder extends AbstractLayer {
        private final LayerList<Layer> mlp;

        TimestepEmbedder(int dim, Rng rng) {
            this.mlp = child("mlp", new LayerList<>());
            mlp.add(new Linear(Timesteps.DIM, dim, rng)).add(new Modulation.Silu()).add(new Linear(dim, dim, rng));
        }

        @Override
        public Tensor forward(Tensor t) { // (B) -> (B, D)
            return mlp.forward(Timesteps.sinusoid(t, Timesteps.DIM));
        }
    }
}
