package org.minidiffusion.transformer.clip;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.minidiffusion.core.api.AbstractLayer;
import org.minidiffusion.core.api.Parameter;
import org.minidiffusion.core.api.Rng;
import org.minidiffusion.core.api.Tensor;
import org.minidiffusion.io.Json;
import org.minidiffusion.io.Safetensors;
import org.minidiffusion.io.SafetensorsFile;
import org.minidiffusion.nn.Attention;
import org.minidiffusion.nn.Embedding;
import org.minidiffusion.nn.Init;
import org.minidiffusion.nn.LayerList;
import org.minidiffusion.nn.LayerNorm;
import org.minidiffusion.nn.Linear;

/**
 * CLIP's text encoder (Radford et al. 2021, section 2.4), the architecture of Hugging Face's
 * {@code CLIPTextModel} (and, with the projection, {@code CLIPTextModelWithProjection}): token
 * plus learned position embeddings, pre-LayerNorm transformer blocks under a causal mask, a final
 * LayerNorm, and the pooled output read at the end-of-text token.
 *
 * <p>Parameter names are Hugging Face's ({@code text_model.embeddings.token_embedding.weight},
 * {@code text_model.encoder.layers.0.self_attn.q_proj.weight}, ..., {@code text_projection.weight}),
 * so {@link #load} reads their safetensors checkpoints by name.
 */
public final class ClipTextModel extends AbstractLayer {
    /** A buffer that older checkpoints store beside the parameters. */
    private static final String POSITION_IDS = "text_model.embeddings.position_ids";

    /**
     * What the encoder returns.
     *
     * @param lastHiddenState {@code (B, L, D)}, after the final LayerNorm
     * @param pooled          {@code (B, D)}, the hidden state at each sequence's end-of-text token
     * @param textEmbeds      {@code (B, projection_dim)}, the projected pooled output, or null without projection
     * @param hiddenStates    {@code num_hidden_layers + 1} tensors {@code (B, L, D)}, as Hugging Face's
     *                        {@code output_hidden_states=True}: the embeddings' output, then each block's
     *                        output; the last is before the final LayerNorm. Stable Diffusion 3 conditions
     *                        on the penultimate, {@code hiddenStates.get(size - 2)} (diffusers'
     *                        {@code hidden_states[-(clip_skip + 2)]} with no {@code clip_skip})
     */
    public record Output(Tensor lastHiddenState, Tensor pooled, Tensor textEmbeds, List<Tensor> hiddenStates) {
        /** Copies the list of hidden states. */
        public Output {
            hiddenStates = List.copyOf(hiddenStates);
        }

        /**
         * Returns the output of the last block but one, which Stable Diffusion 3 conditions on
         * (Esser et al. 2024, appendix B.2): {@code hiddenStates.get(hiddenStates.size() - 2)}.
         *
         * @return {@code (B, L, D)}, before any final LayerNorm
         */
        public Tensor penultimateHiddenState() {
            return hiddenStates.get(hiddenStates.size() - 2);
        }
    }

    private final ClipTextConfig config;
    private final TextTransformer textModel;
    private final Linear textProjection;

    /**
     * Creates the encoder with PyTorch's default initialisation (load a checkpoint to use it).
     *
     * @param config         the configuration
     * @param withProjection whether to add {@code text_projection} (no bias), as {@code CLIPTextModelWithProjection}
     * @param rng            the generator for the initial weights
     */
    public ClipTextModel(ClipTextConfig config, boolean withProjection, Rng rng) {
        this.config = Objects.requireNonNull(config, "config");
        this.textModel = child("text_model", new TextTransformer(config, rng));
        this.textProjection = withProjection
                ? child("text_projection", new Linear(config.hiddenSize(), config.projectionDim(), false, rng))
                : null;
    }

    /**
     * Builds the encoder from a {@code config.json} and loads a safetensors checkpoint by Hugging
     * Face's names; the text projection is built when the checkpoint holds one.
     *
     * @param configJson  the {@code config.json}
     * @param safetensors the weights, such as {@code model.safetensors}
     * @return the loaded encoder
     * @throws IOException naming the file and key, if either file cannot be read or does not fit
     */
    public static ClipTextModel load(Path configJson, Path safetensors) throws IOException {
        ClipTextConfig config = ClipTextConfig.fromJson(configJson);
        SafetensorsFile file = Safetensors.read(safetensors);
        ClipTextModel model = new ClipTextModel(config, file.tensors().containsKey("text_projection.weight"), new Rng(0));
        try {
            model.loadCheckpoint(file.tensors());
        } catch (IllegalArgumentException e) {
            throw new IOException(safetensors + ": " + e.getMessage(), e);
        }
        return model;
    }

    /**
     * Writes {@code config.json} (Hugging Face's keys, {@link ClipTextConfig#toJson} plus
     * {@code extraConfig}) and {@code model.safetensors} (Hugging Face's names) into a directory,
     * each atomically, so that {@link #load} and {@code CLIPTextModelWithProjection.from_pretrained}
     * read them.
     *
     * @param dir         the directory, created if missing
     * @param extraConfig further keys for {@code config.json}, such as {@code bos_token_id}
     * @throws IOException if writing fails
     */
    public void save(Path dir, Map<String, Object> extraConfig) throws IOException {
        Files.createDirectories(dir);
        Map<String, Object> json = config.toJson();
        json.putAll(extraConfig);
        Safetensors.write(dir.resolve("model.safetensors"), stateDict(), Map.of("format", "pt"));
        Json.writeFile(dir.resolve("config.json"), json);
    }

    /**
     * Re-initialises every parameter for training from scratch as Hugging Face's
     * {@code CLIPPreTrainedModel._init_weights} does (factor 1): embeddings from {@code N(0, 0.02²)};
     * in each block, {@code q/k/v_proj} with std {@code D^-1/2 (2·layers)^-1/2}, {@code out_proj}
     * with {@code D^-1/2}, {@code fc1} with {@code (2D)^-1/2}, {@code fc2} with
     * {@code D^-1/2 (2·layers)^-1/2}; the text projection with {@code D^-1/2}; biases 0, LayerNorms 1 and 0.
     *
     * @param rng the generator
     * @return this model
     */
    public ClipTextModel initialiseForTraining(Rng rng) {
        double d = config.hiddenSize();
        float inProj = (float) (Math.pow(d, -0.5) * Math.pow(2.0 * config.numHiddenLayers(), -0.5));
        float outProj = (float) Math.pow(d, -0.5);
        float fc = (float) Math.pow(2 * d, -0.5);
        for (Map.Entry<String, Parameter> e : parameters().entrySet()) {
            String name = e.getKey();
            Parameter p = e.getValue();
            int[] shape = p.shape().toArray();
            Tensor value;
            if (name.endsWith(".bias")) {
                value = Tensor.zeros(shape);
            } else if (name.contains("layer_norm")) {
                value = Tensor.ones(shape);
            } else if (name.contains("embeddings.")) {
                value = Init.normal(rng, 0.02f, shape);
            } else if (name.contains("_proj.weight") && !name.contains("out_proj") && !name.startsWith("text_projection")) {
                value = Init.normal(rng, inProj, shape);              // q_proj, k_proj, v_proj
            } else if (name.contains("out_proj") || name.startsWith("text_projection")) {
                value = Init.normal(rng, outProj, shape);
            } else if (name.contains("fc1")) {
                value = Init.normal(rng, fc, shape);
            } else if (name.contains("fc2")) {
                value = Init.normal(rng, inProj, shape);
            } else {
                throw new IllegalStateException("ClipTextModel.initialiseForTraining: no rule for " + name);
            }
            p.set(value);
        }
        return this;
    }

    /**
     * Loads a Hugging Face state dict: like {@link #loadStateDict} but ignoring the
     * {@code position_ids} buffer and the image tower of a whole {@code CLIPModel}
     * ({@code vision_model.*}, {@code visual_projection.weight}, {@code logit_scale}).
     *
     * @param state tensors by name
     * @throws IllegalArgumentException naming the first missing, unexpected or misshapen key
     */
    public void loadCheckpoint(Map<String, Tensor> state) {
        Map<String, Tensor> kept = new LinkedHashMap<>();
        state.forEach((key, value) -> {
            boolean ignored = key.equals(POSITION_IDS) || key.startsWith("vision_model.")
                    || key.equals("visual_projection.weight") || key.equals("logit_scale")
                    || (textProjection == null && key.equals("text_projection.weight"));
            if (!ignored) {
                kept.put(key, value);
            }
        });
        loadStateDict(kept);
    }

    /**
     * Returns whether the model has {@code text_projection}, so that {@link Output#textEmbeds} is set.
     *
     * @return true for a {@code CLIPTextModelWithProjection}
     */
    public boolean hasProjection() {
        return textProjection != null;
    }

    /** Returns the configuration. */
    public ClipTextConfig config() {
        return config;
    }

    /**
     * Encodes token ids (as floats) without a padding mask.
     *
     * @param ids {@code (B, L)} integer-valued ids
     * @return the last hidden state {@code (B, L, D)}
     */
    @Override
    public Tensor forward(Tensor ids) {
        if (ids.rank() != 2) {
            throw new org.minidiffusion.core.api.ShapeException("ClipTextModel", "expects ids (B, L)", ids.shape());
        }
        int b = ids.size(0);
        int len = ids.size(1);
        float[] v = ids.toArray();
        int[][] rows = new int[b][len];
        for (int i = 0; i < b; i++) {
            for (int j = 0; j < len; j++) {
                rows[i][j] = (int) v[i * len + j];
                if (rows[i][j] != v[i * len + j]) {
                    throw new IllegalArgumentException("ClipTextModel: id " + v[i * len + j] + " at [" + i + "][" + j + "] is not an integer");
                }
            }
        }
        return encode(rows, null).lastHiddenState();
    }

    /**
     * Encodes a batch of tokenized prompts.
     *
     * @param inputIds      {@code (B, L)} token ids, L at most {@code max_position_embeddings}
     * @param attentionMask {@code (B, L)} of 1 (token) and 0 (padding), or null for none (CLIP's
     *                      own usage: padded with the end token and read at the first one)
     * @return the hidden states, the pooled output and, with a projection, the text embeddings
     */
    public Output encode(int[][] inputIds, int[][] attentionMask) {
        int[] flat = checkIds(inputIds);
        int b = inputIds.length;
        int len = inputIds[0].length;
        List<Tensor> hiddenStates = new ArrayList<>(config.numHiddenLayers() + 1);
        Tensor hidden = textModel.forward(flat, b, len, attentionMask, hiddenStates); // (B, L, D)
        int[] rows = new int[b];
        for (int i = 0; i < b; i++) {
            rows[i] = i * len + endOfText(inputIds[i]);
        }
        Tensor pooled = hidden.reshape(b * len, config.hiddenSize()).indexSelect(0, rows); // (B, D)
        Tensor embeds = textProjection == null ? null : textProjection.forward(pooled);  // (B, P)
        return new Output(hidden, pooled, embeds, hiddenStates);
    }

    /**
     * Returns where the pooled output is read, as Hugging Face does: the first position holding
     * {@code eos_token_id}, or, for the legacy {@code eos_token_id == 2}, the first largest id (the
     * end token is the last of the vocabulary).
     */
    int endOfText(int[] ids) {
        int at = 0;
        if (config.eosTokenId() == 2) {
            for (int j = 1; j < ids.length; j++) {
                if (ids[j] > ids[at]) {
                    at = j;
                }
            }
            return at;
        }
        for (int j = 0; j < ids.length; j++) {
            if (ids[j] == config.eosTokenId()) {
                return j;
            }
        }
        return 0; // no end token: position 0, as argmax of an all-false mask
    }

    private int[] checkIds(int[][] ids) {
        if (ids == null || ids.length == 0 || ids[0] == null || ids[0].length == 0) {
            throw new IllegalArgumentException("ClipTextModel: no token ids");
        }
        int len = ids[0].length;
        if (len > config.maxPositionEmbeddings()) {
            throw new IllegalArgumentException("ClipTextModel: " + len + " tokens exceed max_position_embeddings "
                    + config.maxPositionEmbeddings());
        }
        int[] flat = new int[ids.length * len];
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] == null || ids[i].length != len) {
                throw new IllegalArgumentException("ClipTextModel: sequence " + i + " has "
                        + (ids[i] == null ? 0 : ids[i].length) + " tokens, sequence 0 has " + len);
            }
            System.arraycopy(ids[i], 0, flat, i * len, len);
        }
        return flat;
    }

    /** {@code text_model}: embeddings, the encoder blocks and the final LayerNorm (HF {@code CLIPTextTransformer}). */
    static final class TextTransformer extends AbstractLayer {
        private final Embeddings embeddings;
        private final Encoder encoder;
        private final LayerNorm finalLayerNorm;

        TextTransformer(ClipTextConfig config, Rng rng) {
            this.embeddings = child("embeddings", new Embeddings(config, rng));
            this.encoder = child("encoder", new Encoder(config, rng));
            this.finalLayerNorm = child("final_layer_norm", new LayerNorm(config.hiddenSize(), config.layerNormEps()));
        }

        @Override
        public Tensor forward(Tensor x) {
            throw new UnsupportedOperationException("text_model: call ClipTextModel.encode");
        }

        /** Runs the transformer; adds the embeddings' and each block's output to {@code hiddenStates}. */
        Tensor forward(int[] ids, int b, int len, int[][] attentionMask, List<Tensor> hiddenStates) {
            Tensor h = embeddings.forward(ids, b, len);                     // (B, L, D)
            hiddenStates.add(h);
            Tensor mask = Attention.causalMask(len, len);                   // (1, 1, L, L)
            if (attentionMask != null) {
                if (attentionMask.length != b || attentionMask[0].length != len) {
                    throw new IllegalArgumentException("ClipTextModel: the attention mask is " + attentionMask.length
                            + "x" + attentionMask[0].length + ", the ids are " + b + "x" + len);
                }
                mask = mask.add(Attention.paddingMask(attentionMask));      // (B, 1, L, L)
            }
            for (ClipEncoderLayer layer : encoder.layers) {
                h = layer.forward(h, mask);
                hiddenStates.add(h);
            }
            return finalLayerNorm.forward(h);
        }
    }

    /** Token plus position embeddings (HF {@code CLIPTextEmbeddings}). */
    static final class Embeddings extends AbstractLayer {
        private final int dim;
        private final Embedding tokenEmbedding;
        private final Embedding positionEmbedding;

        Embeddings(ClipTextConfig config, Rng rng) {
            this.dim = config.hiddenSize();
            this.tokenEmbedding = child("token_embedding", new Embedding(config.vocabSize(), dim, rng));
            this.positionEmbedding = child("position_embedding", new Embedding(config.maxPositionEmbeddings(), dim, rng));
        }

        @Override
        public Tensor forward(Tensor x) {
            throw new UnsupportedOperationException("embeddings: call ClipTextModel.encode");
        }

        Tensor forward(int[] ids, int b, int len) {
            int[] positions = new int[len];
            for (int j = 0; j < len; j++) {
                positions[j] = j;
            }
            return tokenEmbedding.lookup(ids).reshape(b, len, dim)         // (B, L, D)
                    .add(positionEmbedding.lookup(positions));              // + (L, D)
        }
    }

    /** {@code encoder.layers}. */
    static final class Encoder extends AbstractLayer {
        private final LayerList<ClipEncoderLayer> layers;

        Encoder(ClipTextConfig config, Rng rng) {
            this.layers = child("layers", new LayerList<>());
            for (int i = 0; i < config.numHiddenLayers(); i++) {
                layers.add(new ClipEncoderLayer(config, rng));
            }
        }

        @Override
        public Tensor forward(Tensor x) {
            throw new UnsupportedOperationException("encoder: call ClipTextModel.encode");
        }
    }
}
