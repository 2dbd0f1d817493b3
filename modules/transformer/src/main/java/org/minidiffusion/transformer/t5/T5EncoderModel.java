package org.minidiffusion.transformer.t5;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.minidiffusion.core.api.AbstractLayer;
import org.minidiffusion.core.api.Parameter;
import org.minidiffusion.core.api.Rng;
import org.minidiffusion.core.api.ShapeException;
import org.minidiffusion.core.api.Tensor;
import org.minidiffusion.io.Json;
import org.minidiffusion.io.Safetensors;
import org.minidiffusion.io.SafetensorsFile;
import org.minidiffusion.nn.Attention;
import org.minidiffusion.nn.Embedding;
import org.minidiffusion.nn.Init;
import org.minidiffusion.nn.LayerList;
import org.minidiffusion.nn.RMSNorm;

/**
 * T5's encoder (Raffel et al. 2020, with the v1.1 changes: gated-GELU feed-forward, no dropout at
 * inference), the architecture of Hugging Face's {@code T5EncoderModel}: token embeddings,
 * pre-RMSNorm blocks whose attention adds a learned relative-position bias (computed once, by block
 * 0, and shared by all blocks) and does not scale the scores, and a final RMSNorm.
 *
 * <p>Parameter names are Hugging Face's ({@code shared.weight},
 * {@code encoder.block.0.layer.0.SelfAttention.q.weight}, ...,
 * {@code encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight},
 * {@code encoder.final_layer_norm.weight}); {@link #loadCheckpoint} also accepts the tied copy
 * {@code encoder.embed_tokens.weight}.
 */
public final class T5EncoderModel extends AbstractLayer {
    private static final String SHARED = "shared.weight";
    private static final String EMBED_TOKENS = "encoder.embed_tokens.weight";

    private final T5Config config;
    private final Embedding shared;
    private final Stack encoder;

    /**
     * Creates the encoder with PyTorch's default initialisation (load a checkpoint to use it).
     *
     * @param config the configuration
     * @param rng    the generator for the initial weights
     */
    public T5EncoderModel(T5Config config, Rng rng) {
        this.config = Objects.requireNonNull(config, "config");
        this.shared = child("shared", new Embedding(config.vocabSize(), config.dModel(), rng));
        this.encoder = child("encoder", new Stack(config, rng));
    }

    /**
     * Builds the encoder from a {@code config.json} and loads a safetensors checkpoint by Hugging
     * Face's names.
     *
     * @param configJson  the {@code config.json}
     * @param safetensors the weights, such as {@code model.safetensors}
     * @return the loaded encoder
     * @throws IOException naming the file and key, if either file cannot be read or does not fit
     */
    public static T5EncoderModel load(Path configJson, Path safetensors) throws IOException {
        T5EncoderModel model = new T5EncoderModel(T5Config.fromJson(configJson), new Rng(0));
        SafetensorsFile file = Safetensors.read(safetensors);
        try {
            model.loadCheckpoint(file.tensors());
        } catch (IllegalArgumentException e) {
            throw new IOException(safetensors + ": " + e.getMessage(), e);
        }
        return model;
    }

    /**
     * Writes {@code config.json} ({@link T5Config#toJson}) and {@code model.safetensors} (Hugging
     * Face's names) into a directory, each atomically, so that {@link #load} and
     * {@code T5EncoderModel.from_pretrained} read them.
     *
     * @param dir the directory, created if missing
     * @throws IOException if writing fails
     */
    public void save(Path dir) throws IOException {
        save(dir, Map.of());
    }

    /**
     * Writes {@code config.json} ({@link T5Config#toJson} plus {@code extraConfig}) and
     * {@code model.safetensors} into a directory, each atomically.
     *
     * @param dir         the directory, created if missing
     * @param extraConfig further keys for {@code config.json}, such as {@code pad_token_id}
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
     * {@code T5PreTrainedModel._init_weights} does (transformers' {@code modeling_t5.py}, factor
     * {@code initializer_factor} 1), which follows Mesh TensorFlow's initialisers so that the
     * unscaled attention scores start at unit variance: {@code shared} from {@code N(0, 1)};
     * {@code q} with std {@code (d_model·d_kv)^-1/2}, {@code k} and {@code v} with
     * {@code d_model^-1/2}, {@code o} with {@code (num_heads·d_kv)^-1/2}, the relative attention
     * bias with {@code d_model^-1/2}; {@code wi_0} and {@code wi_1} with {@code d_model^-1/2},
     * {@code wo} with {@code d_ff^-1/2}; every RMSNorm weight 1.
     *
     * @param rng the generator
     * @return this model
     */
    public T5EncoderModel initialiseForTraining(Rng rng) {
        double dModel = config.dModel();
        float qStd = (float) Math.pow(dModel * config.dKv(), -0.5);
        float modelStd = (float) Math.pow(dModel, -0.5);
        float oStd = (float) Math.pow((double) config.innerDim(), -0.5);
        float ffOutStd = (float) Math.pow(config.dFf(), -0.5);
        for (Map.Entry<String, Parameter> e : parameters().entrySet()) {
            String name = e.getKey();
            Parameter p = e.getValue();
            int[] shape = p.shape().toArray();
            float std;
            if (name.endsWith("layer_norm.weight")) {
                p.set(Tensor.ones(shape));                                   // T5LayerNorm: factor·1
                continue;
            } else if (name.equals(SHARED)) {
                std = 1f;                                                    // Mesh TF embeddings
            } else if (name.endsWith(".SelfAttention.q.weight")) {
                std = qStd;                                                  // folds in the 1/sqrt(d_kv) T5 omits
            } else if (name.endsWith(".SelfAttention.k.weight") || name.endsWith(".SelfAttention.v.weight")
                    || name.endsWith(".relative_attention_bias.weight") || name.contains(".wi_")) {
                std = modelStd;
            } else if (name.endsWith(".SelfAttention.o.weight")) {
                std = oStd;
            } else if (name.endsWith(".DenseReluDense.wo.weight")) {
                std = ffOutStd;
            } else {
                throw new IllegalStateException("T5EncoderModel.initialiseForTraining: no rule for " + name);
            }
            p.set(Init.normal(rng, std, shape));
        }
        return this;
    }

    /**
     * Loads a Hugging Face state dict: like {@link #loadStateDict}, but the embedding may be stored
     * as {@code shared.weight}, as its tied copy {@code encoder.embed_tokens.weight}, or both, and
     * the decoder and LM head of a whole {@code T5ForConditionalGeneration} are ignored.
     *
     * @param state tensors by name
     * @throws IllegalArgumentException naming the first missing, unexpected or misshapen key
     */
    public void loadCheckpoint(Map<String, Tensor> state) {
        Map<String, Tensor> kept = new LinkedHashMap<>();
        state.forEach((key, value) -> {
            if (!key.startsWith("decoder.") && !key.equals("lm_head.weight") && !key.equals(EMBED_TOKENS)) {
                kept.put(key, value);
            }
        });
        if (!kept.containsKey(SHARED) && state.containsKey(EMBED_TOKENS)) {
            kept.put(SHARED, state.get(EMBED_TOKENS));
        }
        loadStateDict(kept);
    }

    /** Returns block 0's attention, which owns the position bias. */
    T5Attention firstAttention() {
        return encoder.block.get(0).selfAttention();
    }

    /** Returns the configuration. */
    public T5Config config() {
        return config;
    }

    /**
     * Encodes token ids (as floats) without padding.
     *
     * @param ids {@code (B, L)} integer-valued ids
     * @return the last hidden state {@code (B, L, d_model)}
     */
    @Override
    public Tensor forward(Tensor ids) {
        if (ids.rank() != 2) {
            throw new ShapeException("T5EncoderModel", "expects ids (B, L)", ids.shape());
        }
        return encode(ids.size(1), shared.forward(ids), null);
    }

    /**
     * Encodes a batch of tokenized prompts.
     *
     * @param inputIds      {@code (B, L)} token ids
     * @param attentionMask {@code (B, L)} of 1 (token) and 0 (padding), or null for none
     * @return the last hidden state {@code (B, L, d_model)}
     */
    public Tensor encode(int[][] inputIds, int[][] attentionMask) {
        if (inputIds == null || inputIds.length == 0 || inputIds[0] == null || inputIds[0].length == 0) {
            throw new IllegalArgumentException("T5EncoderModel: no token ids");
        }
        int b = inputIds.length;
        int len = inputIds[0].length;
        int[] flat = new int[b * len];
        for (int i = 0; i < b; i++) {
            if (inputIds[i] == null || inputIds[i].length != len) {
                throw new IllegalArgumentException("T5EncoderModel: sequence " + i + " has "
                        + (inputIds[i] == null ? 0 : inputIds[i].length) + " tokens, sequence 0 has " + len);
            }
            System.arraycopy(inputIds[i], 0, flat, i * len, len);
        }
        if (attentionMask != null && (attentionMask.length != b || attentionMask[0].length != len)) {
            throw new IllegalArgumentException("T5EncoderModel: the attention mask is " + attentionMask.length + "x"
                    + attentionMask[0].length + ", the ids are " + b + "x" + len);
        }
        return encode(len, shared.lookup(flat).reshape(b, len, config.dModel()), attentionMask);
    }

    private Tensor encode(int len, Tensor embedded, int[][] attentionMask) {
        Tensor h = embedded;                                                   // (B, L, D)
        Tensor bias = firstAttention().positionBias(len, len);             // (1, H, L, L), block 0's
        if (attentionMask != null) {
            bias = bias.add(Attention.paddingMask(attentionMask));            // (B, H, L, L)
        }
        for (T5Block block : encoder.block) {
            h = block.forward(h, bias);                                        // every block shares the bias
        }
        return encoder.finalLayerNorm.forward(h);
    }

    /** {@code encoder}: the blocks and the final norm (HF {@code T5Stack}). */
    static final class Stack extends AbstractLayer {
        private final LayerList<T5Block> block;
        private final RMSNorm finalLayerNorm;

        Stack(T5Config config, Rng rng) {
            this.block = child("block", new LayerList<>());
            for (int i = 0; i < config.numLayers(); i++) {
                block.add(new T5Block(config, i == 0, rng));
            }
            this.finalLayerNorm = child("final_layer_norm", new RMSNorm(config.dModel(), config.layerNormEpsilon()));
        }

        @Override
        public Tensor forward(Tensor x) {
            throw new UnsupportedOperationException("encoder: call T5EncoderModel.encode");
        }
    }
}
