package org.minidiffusion.dit;

import org.minidiffusion.core.api.AbstractLayer;
import org.minidiffusion.core.api.Rng;
import org.minidiffusion.core.api.ShapeException;
import org.minidiffusion.core.api.Tensor;
import org.minidiffusion.nn.LayerList;
import org.minidiffusion.nn.Linear;

/**
 * The MMDiT of Stable Diffusion 3 (Esser et al. 2024, section 4 and figure 2), with the module tree
 * and parameter names of diffusers' {@code SD3Transformer2DModel}:
 * <ol>
 *   <li>{@code pos_embed}: patchify the latent and add the centre crop of the 2-D sine-cosine table ({@link PatchEmbed});</li>
 *   <li>{@code time_text_embed}: {@code temb} from the timestep and the pooled text embedding;</li>
 *   <li>{@code context_embedder}: the text tokens to the model width;</li>
 *   <li>{@code transformer_blocks}: {@code num_layers} {@link JointTransformerBlock}s, the last {@code context_pre_only};</li>
 *   <li>{@code norm_out} ({@link AdaLayerNormContinuous} on {@code temb}), {@code proj_out}, unpatchify.</li>
 * </ol>
 */
public final class SD3Transformer2DModel extends AbstractLayer {
    private final SD3Transformer2DModelConfig config;
    private final PatchEmbed posEmbed;
    private final CombinedTimestepTextProjEmbeddings timeTextEmbed;
    private final Linear contextEmbedder;
    private final LayerList<JointTransformerBlock> blocks;
    private final AdaLayerNormContinuous normOut;
    private final Linear projOut;

    /**
     * Creates the model with random weights.
     *
     * @param config the architecture
     * @param rng    the generator for the initial weights
     */
    public SD3Transformer2DModel(SD3Transformer2DModelConfig config, Rng rng) {
        this.config = config;
        int dim = config.innerDim();
        int p = config.patchSize();
        int base = config.sampleSize() / p;
        int max = config.posEmbedMaxSize();
        this.posEmbed = child("pos_embed", max > 0
                ? new PatchEmbed(config.inChannels(), dim, p, max, base, true, true, rng)
                : new PatchEmbed(config.inChannels(), dim, p, base, base, false, false, rng));
        this.timeTextEmbed = child("time_text_embed", new CombinedTimestepTextProjEmbeddings(dim, config.pooledProjectionDim(), rng));
        this.contextEmbedder = child("context_embedder", new Linear(config.jointAttentionDim(), config.captionProjectionDim(), rng));
        this.blocks = child("transformer_blocks", new LayerList<>());
        for (int i = 0; i < config.numLayers(); i++) {
            blocks.add(new JointTransformerBlock(dim, config.numAttentionHeads(), config.attentionHeadDim(),
                    i == config.numLayers() - 1, config.rmsQkNorm(), rng));
        }
        this.normOut = child("norm_out", new AdaLayerNormContinuous(dim, rng));
        this.projOut = child("proj_out", new Linear(dim, p * p * config.outChannels(), rng));
    }

    /**
     * Returns the architecture.
     *
     * @return the config
     */
    public SD3Transformer2DModelConfig config() {
        return config;
    }

    /** Not defined without the text conditioning and timesteps; use {@link #forward(Tensor, Tensor, Tensor, Tensor)}. */
    @Override
    public Tensor forward(Tensor x) {
        throw new UnsupportedOperationException("SD3Transformer2DModel needs text and timesteps: "
                + "call forward(latents, encoderHiddenStates, pooledProjections, timestep)");
    }

    /**
     * Predicts the velocity (or whatever the model was trained on) for noisy latents.
     *
     * @param latents             {@code (B, in_channels, H, W)}, H and W multiples of the patch size
     * @param encoderHiddenStates text tokens {@code (B, L, joint_attention_dim)}
     * @param pooledProjections   the pooled text embedding {@code (B, pooled_projection_dim)}
     * @param timestep            {@code (B)}, in SD3 {@code 1000·σ}
     * @return {@code (B, out_channels, H, W)}
     */
    public Tensor forward(Tensor latents, Tensor encoderHiddenStates, Tensor pooledProjections, Tensor timestep) {
        int p = config.patchSize();
        if (latents.rank() != 4 || latents.size(1) != config.inChannels()) {
            throw new ShapeException("SD3Transformer2DModel", "expects latents (B, " + config.inChannels() + ", H, W)",
                    latents.shape());
        }
        int b = latents.size(0);
        if (encoderHiddenStates.rank() != 3 || encoderHiddenStates.size(0) != b
                || encoderHiddenStates.size(2) != config.jointAttentionDim()
                || pooledProjections.rank() != 2 || pooledProjections.size(0) != b
                || pooledProjections.size(1) != config.pooledProjectionDim()
                || timestep.rank() != 1 || timestep.size(0) != b) {
            throw new ShapeException("SD3Transformer2DModel", "expects encoder_hidden_states (B, L, " + config.jointAttentionDim()
                    + "), pooled_projections (B, " + config.pooledProjectionDim() + ") and timestep (B) for B = " + b,
                    encoderHiddenStates.shape(), pooledProjections.shape(), timestep.shape());
        }
        int h = latents.size(2) / p;
        int w = latents.size(3) / p;
        Tensor x = posEmbed.forward(latents);                             // (B, h·w, D)
        Tensor temb = timeTextEmbed.forward(timestep, pooledProjections); // (B, D)
        Tensor c = contextEmbedder.forward(encoderHiddenStates);          // (B, L, D)
        for (JointTransformerBlock block : blocks) {
            JointTransformerBlock.Output out = block.forward(x, c, temb);
            x = out.image();
            c = out.context();
        }
        Tensor patches = projOut.forward(normOut.forward(x, temb));      // (B, h·w, p·p·C_out)
        return PatchEmbed.unpatchify(patches, h, w, p, config.outChannels());
    }
}
