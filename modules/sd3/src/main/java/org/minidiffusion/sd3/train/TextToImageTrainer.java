package org.minidiffusion.sd3.train;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.minidiffusion.core.api.Autograd;
import org.minidiffusion.core.api.Parameter;
import org.minidiffusion.core.api.Parameterized;
import org.minidiffusion.core.api.Rng;
import org.minidiffusion.core.api.Shape;
import org.minidiffusion.core.api.Tensor;
import org.minidiffusion.diffusion.InvalidFieldException;
import org.minidiffusion.diffusion.MetadataReader;
import org.minidiffusion.diffusion.TensorChecks;
import org.minidiffusion.diffusion.flow.FlowMatching;
import org.minidiffusion.diffusion.flow.TimestepDistribution;
import org.minidiffusion.dit.SD3Transformer2DModel;
import org.minidiffusion.dit.SD3Transformer2DModelConfig;
import org.minidiffusion.nn.optim.Adam;
import org.minidiffusion.nn.optim.BatchOrder;
import org.minidiffusion.nn.optim.Ema;
import org.minidiffusion.nn.optim.LearningRateSchedule;
import org.minidiffusion.sd3.PromptEmbeddings;
import org.minidiffusion.sd3.PromptEncoder;
import org.minidiffusion.text.ClipTokenizer;
import org.minidiffusion.text.Unigram;
import org.minidiffusion.transformer.clip.ClipTextModel;
import org.minidiffusion.transformer.t5.T5Config;
import org.minidiffusion.transformer.t5.T5EncoderModel;

/**
 * Trains Stable Diffusion 3's MMDiT and, jointly, its T5 text encoder with rectified flow matching
 * in the latent space of a frozen autoencoder, conditioned by a frozen CLIP text encoder.
 *
 * <p>One step (Esser et al. 2024, sections 2-3):
 * <ol>
 *   <li>draw a batch of {@link LatentDataset} latents {@code x_0} (scaled posterior samples) with a
 *       fresh caption each, the empty prompt with probability {@code promptDropout};</li>
 *   <li>encode the captions ({@link PromptEncoder}: CLIP without gradients, T5 recorded for backward);</li>
 *   <li>draw {@code t} from the logit-normal distribution (eq. 19, {@code m = 0, s = 1}) and
 *       {@code ε ~ N(0, I)}; {@code x_t = (1 − t) x_0 + t ε} (Esser et al. 2024, eq. 2 with {@code a_t = 1 − t, b_t = t});</li>
 *   <li>predict the velocity {@code v = transformer(x_t, tokens, pooled, 1000 t)} and regress it on
 *       {@code ε − x_0}, the conditional flow-matching loss (Lipman et al. 2023, eq. 9 and 23;
 *       Esser et al. 2024, eq. 11);</li>
 *   <li>backward, clip the global gradient norm, one AdamW step (Loshchilov and Hutter 2019) on the
 *       MMDiT and T5 parameters with linear warm-up then cosine decay, and update the EMA of both.</li>
 * </ol>
 * T5 is trained with the MMDiT rather than pretrained: there is no pretrained T5 here and no budget
 * for a span-corruption decoder, and the flow-matching loss is the signal its features are for.
 *
 * <p>Every random choice of step {@code s} (the images of the batch, their captions and dropped
 * prompts, the posterior samples, the times and the noise) comes from generators seeded with the
 * seed and {@code s} alone, so the checkpoint's {@code completed_steps} is the whole state of the
 * randomness, and a run resumed from {@link #state} continues bit for bit as if it had never stopped.
 */
public final class TextToImageTrainer {
    /** The {@code format} metadata of a checkpoint. */
    public static final String FORMAT = "mini-diffusion text-to-image training checkpoint";
    /** The prefix of the MMDiT's tensors in a checkpoint (diffusers' pipeline component name). */
    public static final String TRANSFORMER = "transformer.";
    /** The prefix of T5's tensors in a checkpoint (diffusers' pipeline component name). */
    public static final String TEXT_ENCODER_3 = "text_encoder_3.";
    /** The prefix of the EMA weights. */
    public static final String EMA = "ema.";
    /** The prefix of AdamW's state. */
    public static final String OPTIM = "optim.";
    /** The learning rate at the last step, as a fraction of the peak. */
    static final float FLOOR = 0.05f;
    /** The timestep the MMDiT reads is {@code 1000 t}, as SD3's scheduler's {@code num_train_timesteps}. */
    public static final float TIMESTEP_SCALE = 1000f;

    private static final String COMPLETED_STEPS = "completed_steps";
    private static final String DATA_FINGERPRINT = "data_fingerprint";
    private static final String CLIP_FINGERPRINT = "clip_fingerprint";
    private static final String T5_TOKENIZER_FINGERPRINT = "t5_tokenizer_fingerprint";
    private static final long ORDER_SALT = 0x5DEECE66DL;
    private static final long CAPTION_SALT = 0x3C6EF372FE94F82BL;
    private static final long LATENT_SALT = 0xA54FF53A5F1D36F1L;
    private static final long T5_INIT_SALT = 0x510E527FADE682D1L;

    private final TextToImageTrainConfig config;
    private final PromptEncoder encoder;
    private final SD3Transformer2DModel transformer;
    private final T5EncoderModel t5;
    private final LatentDataset data;
    private final Map<String, Parameter> trained = new LinkedHashMap<>();
    private final Adam optimizer;
    private final Ema emaTransformer;
    private final Ema emaT5;
    private final LearningRateSchedule lr;
    private final TimestepDistribution times;
    private final PromptDropout dropout;
    private final long clipFingerprint;
    private final long t5TokenizerFingerprint;
    private final BatchOrder order;
    private long completed;

    /**
     * The outcome of one step.
     *
     * @param step     the 1-based step just taken
     * @param loss     the flow-matching loss of the batch
     * @param gradNorm the global gradient norm before clipping
     * @param lr       the learning rate used
     * @param dropped  the captions of the batch replaced by the empty prompt
     */
    public record StepResult(long step, double loss, double gradNorm, float lr, int dropped) {
    }

    /**
     * The state of a run in no particular file format: named tensors (the MMDiT under
     * {@value #TRANSFORMER}, T5 under {@value #TEXT_ENCODER_3}, their averages under {@value #EMA},
     * AdamW's state under {@value #OPTIM}) and string metadata (the settings, {@code completed_steps}
     * and fingerprints of the data, the CLIP weights and the T5 tokenizer the run depends on).
     *
     * @param source   what it was read from or will be written to, named in every error about it
     * @param tensors  the tensors by name, in a stable order
     * @param metadata the metadata
     */
    public record State(String source, Map<String, Tensor> tensors, Map<String, String> metadata) {
        /**
         * Creates the record, copying both maps into unmodifiable insertion-ordered ones.
         *
         * @param source   where it comes from or goes
         * @param tensors  the tensors by name
         * @param metadata the metadata
         */
        public State {
            Objects.requireNonNull(source, "source");
            tensors = Collections.unmodifiableMap(new LinkedHashMap<>(tensors));
            metadata = Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
        }
    }

    /**
     * Starts a run: builds T5 and the MMDiT from the settings, freshly initialised from the seed.
     *
     * @param config        the settings
     * @param clipTokenizer CLIP's tokenizer
     * @param clip          the trained CLIP text encoder with its projection; it stays frozen
     * @param t5Tokenizer   T5's Unigram tokenizer
     * @param data          the encoded training images, at least one batch
     * @throws IllegalArgumentException if the parts do not fit together, naming what differs
     */
    public TextToImageTrainer(TextToImageTrainConfig config, ClipTokenizer clipTokenizer, ClipTextModel clip,
                              Unigram t5Tokenizer, LatentDataset data) {
        if (data.size() < config.batchSize()) {
            throw new IllegalArgumentException("TextToImageTrainer: the data have " + data.size()
                    + " images, fewer than one batch of " + config.batchSize());
        }
        if (t5Tokenizer.vocabSize() > config.t5().vocabSize()) {
            throw new IllegalArgumentException("TextToImageTrainer: the T5 tokenizer has " + t5Tokenizer.vocabSize()
                    + " pieces but t5.vocab_size is " + config.t5().vocabSize());
        }
        if (config.clipLength() > clip.config().maxPositionEmbeddings()) {
            throw new IllegalArgumentException("TextToImageTrainer: clip_length " + config.clipLength()
                    + " exceeds the CLIP encoder's max_position_embeddings " + clip.config().maxPositionEmbeddings());
        }
        if (data.side() % config.mmdit().patch() != 0) {
            throw new IllegalArgumentException("TextToImageTrainer: the latent side " + data.side()
                    + " is not a multiple of mmdit.patch_size " + config.mmdit().patch());
        }
        this.config = config;
        this.data = data;
        this.order = new BatchOrder(data.size(), config.batchSize(),
                epoch -> mix(config.seed() ^ ORDER_SALT, epoch));
        TextToImageTrainConfig.T5 a = config.t5();
        this.t5 = new T5EncoderModel(t5Config(a), new Rng(mix(config.seed() ^ T5_INIT_SALT, 0)))
                .initialiseForTraining(new Rng(mix(config.seed() ^ T5_INIT_SALT, 1)));
        this.encoder = new PromptEncoder(clipTokenizer, clip, config.clipLength(), t5Tokenizer, t5, config.t5Length());
        this.transformer = zeroInitModulation(new SD3Transformer2DModel(transformerConfig(config, data, encoder),
                new Rng(config.seed())));
        transformer.parameters().forEach((k, p) -> trained.put(TRANSFORMER + k, p));
        t5.parameters().forEach((k, p) -> trained.put(TEXT_ENCODER_3 + k, p));
        this.optimizer = Adam.adamW(trained, config.learningRate(), config.weightDecay());
        this.emaTransformer = new Ema(transformer, config.emaDecay());
        this.emaT5 = new Ema(t5, config.emaDecay());
        this.lr = new LearningRateSchedule(config.learningRate(), config.learningRate() * FLOOR, config.warmupSteps(),
                config.steps());
        this.times = TimestepDistribution.logitNormal(config.logitMean(), config.logitStd());
        this.dropout = new PromptDropout(config.promptDropout());
        this.clipFingerprint = fingerprint(clip);
        this.t5TokenizerFingerprint = fingerprint(t5Tokenizer);
    }

    /**
     * Returns T5's config for an architecture: {@code d_kv = d_model / num_heads}, 32 relative
     * position buckets up to distance 128 and epsilon 1e-6, as T5 v1.1.
     *
     * @param a the architecture
     * @return the config
     */
    public static T5Config t5Config(TextToImageTrainConfig.T5 a) {
        return new T5Config(a.vocabSize(), a.dModel(), a.dModel() / a.heads(), a.dFf(), a.layers(), a.heads(), 32, 128,
                1e-6f, T5Config.GATED_GELU);
    }

    /**
     * Returns the MMDiT's config: the latent side and channels from the data, the joint attention
     * and pooled sizes from the prompt encoder, and a fixed position table of exactly the latent's
     * patches ({@code pos_embed_max_size} null).
     *
     * @param config  the settings
     * @param data    the latents
     * @param encoder the prompt encoder
     * @return the config
     */
    public static SD3Transformer2DModelConfig transformerConfig(TextToImageTrainConfig config, LatentDataset data,
                                                                PromptEncoder encoder) {
        TextToImageTrainConfig.Mmdit m = config.mmdit();
        return new SD3Transformer2DModelConfig(data.side(), m.patch(), data.channels(), m.layers(), m.headDim(),
                m.heads(), encoder.jointAttentionDim(), m.width(), encoder.pooledDim(), data.channels(), 0, m.qkNorm());
    }

    /**
     * Sets the adaLN modulation of every block and of the output norm, and the output projection,
     * to zero, so that each block starts as the identity and the model predicts zero: DiT's
     * adaLN-Zero initialisation (Peebles and Xie 2023, section 3.2), which the MMDiT builds on
     * (Esser et al. 2024, section 4).
     *
     * @param model a freshly built MMDiT
     * @return the model
     */
    static SD3Transformer2DModel zeroInitModulation(SD3Transformer2DModel model) {
        model.parameters().forEach((name, p) -> {
            if (name.contains(".norm1.linear.") || name.contains(".norm1_context.linear.")
                    || name.startsWith("norm_out.linear.") || name.startsWith("proj_out.")) {
                p.set(Tensor.zeros(p.shape().toArray()));
            }
        });
        return model;
    }

    /**
     * Returns the settings.
     *
     * @return the config
     */
    public TextToImageTrainConfig config() {
        return config;
    }

    /**
     * Returns the MMDiT being trained.
     *
     * @return the model, with its current (not averaged) weights
     */
    public SD3Transformer2DModel transformer() {
        return transformer;
    }

    /**
     * Returns the prompt encoder: the frozen CLIP and the T5 being trained.
     *
     * @return the encoder, with T5's current (not averaged) weights
     */
    public PromptEncoder encoder() {
        return encoder;
    }

    /**
     * Returns the data.
     *
     * @return the latents
     */
    public LatentDataset data() {
        return data;
    }

    /**
     * Returns the steps taken so far, including those before a resume.
     *
     * @return the completed steps
     */
    public long completedSteps() {
        return completed;
    }

    /**
     * Returns the number of parameters trained: the MMDiT's and T5's.
     *
     * @return the count
     */
    public long trainedParameters() {
        return trained.values().stream().mapToLong(p -> p.shape().numel()).sum();
    }

    /**
     * Takes one optimiser step on the next batch.
     *
     * @return the loss and statistics of the step
     * @throws TextToImageTrainingException if the loss is NaN or infinite; no weight is changed then
     */
    public StepResult step() {
        long s = completed + 1;
        LatentDataset.Batch batch = data.draw(order.batch(completed), new Rng(mix(config.seed() ^ CAPTION_SALT, s)),
                new Rng(mix(config.seed() ^ LATENT_SALT, s)), dropout);
        Rng rng = new Rng(mix(config.seed(), s));
        Tensor x0 = batch.latents();                                                 // (B, C, h, w)
        int b = x0.size(0);
        double[] t = times.sample(rng, b);                                           // logit-normal, eq. 19
        Tensor noise = Tensor.randn(rng, x0.shape().toArray());
        Tensor xt = FlowMatching.noisy(x0, noise, t);                                // (1 − t) x_0 + t ε
        PromptEmbeddings prompts = encoder.encode(batch.captions());                 // CLIP frozen, T5 with grad
        Tensor v = transformer.forward(xt, prompts.tokens(), prompts.pooled(), timesteps(t));
        Tensor loss = FlowMatching.loss(v, x0, noise);                               // mean (v − (ε − x_0))²
        double value = loss.item();
        if (!Double.isFinite(value)) {
            optimizer.zeroGrad();
            throw new TextToImageTrainingException("training stopped: the loss is " + value + " at step " + s
                    + "; the weights were not updated and earlier checkpoints are intact. Try a lower learning rate.");
        }
        loss.backward();
        double norm = config.gradClip() > 0f ? optimizer.clipGradNorm(config.gradClip()) : optimizer.gradNorm();
        float rate = lr.at(s);
        optimizer.setLearningRate(rate);
        optimizer.step();
        emaTransformer.update(s);
        emaT5.update(s);
        completed = s;
        int dropped = (int) batch.captions().stream().filter(String::isEmpty).count();
        return new StepResult(s, value, norm, rate, dropped);
    }

    /**
     * Returns the timesteps the MMDiT reads for times {@code t}: {@code 1000 t}, as diffusers' SD3
     * pipeline passes {@code σ · num_train_timesteps}.
     *
     * @param t the times, in {@code [0, 1]}
     * @return {@code (B)}
     */
    public static Tensor timesteps(double[] t) {
        float[] out = new float[t.length];
        for (int i = 0; i < t.length; i++) {
            out[i] = (float) (t[i] * TIMESTEP_SCALE);
        }
        return Tensor.of(out, t.length);
    }

    private static long mix(long seed, long step) {
        return new Rng(seed * 0x9E3779B97F4A7C15L + step).nextLong();
    }

    /**
     * Returns a new MMDiT holding the EMA weights, for sampling.
     *
     * @return the averaged model in evaluation mode
     * @throws TextToImageTrainingException if an EMA weight is NaN or infinite
     */
    public SD3Transformer2DModel emaTransformer() {
        SD3Transformer2DModel copy = new SD3Transformer2DModel(transformer.config(), new Rng(0));
        copy.loadStateDict(finite(emaTransformer.weights(), EMA + TRANSFORMER));
        copy.train(false);
        return copy;
    }

    /**
     * Returns a new T5 encoder holding the EMA weights, for sampling.
     *
     * @return the averaged encoder in evaluation mode
     * @throws TextToImageTrainingException if an EMA weight is NaN or infinite
     */
    public T5EncoderModel emaT5() {
        T5EncoderModel copy = new T5EncoderModel(t5.config(), new Rng(0));
        copy.loadStateDict(finite(emaT5.weights(), EMA + TEXT_ENCODER_3));
        copy.train(false);
        return copy;
    }

    /**
     * Returns a prompt encoder with the frozen CLIP and the EMA weights of T5, for sampling.
     *
     * @return the encoder
     * @throws TextToImageTrainingException if an EMA weight is NaN or infinite
     */
    public PromptEncoder emaEncoder() {
        return new PromptEncoder(encoder.clipTokenizer(), encoder.clip(), encoder.clipLength(), encoder.t5Tokenizer(),
                emaT5(), encoder.t5Length());
    }

    private Map<String, Tensor> finite(Map<String, Tensor> weights, String prefix) {
        String bad = TensorChecks.describeNonFinite(weights, prefix);
        if (bad != null) {
            throw new TextToImageTrainingException("training stopped at step " + completed + ": the EMA weights hold "
                    + bad + ", so they cannot make a model; files saved earlier are as they were");
        }
        return weights;
    }

    /**
     * Returns the weights, their averages, AdamW's state and the settings, after checking that every
     * value is finite. The weights are the trainer's own (no copy), which the next {@link #step}
     * updates in place: write the state out before it.
     *
     * @param target what the state will be written to, named in errors and as its source
     * @return the state
     * @throws TextToImageTrainingException if a value is NaN or infinite; nothing should be saved then
     */
    public State state(String target) {
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        try (Autograd.Scope scope = Autograd.noGrad()) {
            transformer.stateDict().forEach((k, v) -> tensors.put(TRANSFORMER + k, v));
            t5.stateDict().forEach((k, v) -> tensors.put(TEXT_ENCODER_3 + k, v));
            emaTransformer.weights().forEach((k, v) -> tensors.put(EMA + TRANSFORMER + k, v));
            emaT5.weights().forEach((k, v) -> tensors.put(EMA + TEXT_ENCODER_3 + k, v));
            optimizer.state().forEach((k, v) -> tensors.put(OPTIM + k, v));
        }
        String bad = TensorChecks.describeNonFinite(tensors, "");
        if (bad != null) {
            throw new TextToImageTrainingException("training stopped at step " + completed + ": not saving " + target
                    + ", the state holds " + bad + "; the files of the last save are as they were. Try a lower learning rate.");
        }
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", FORMAT);
        meta.put(COMPLETED_STEPS, Long.toString(completed));
        meta.putAll(config.toMetadata());
        meta.put(DATA_FINGERPRINT, Long.toHexString(data.fingerprint()));
        meta.put(CLIP_FINGERPRINT, Long.toHexString(clipFingerprint));
        meta.put(T5_TOKENIZER_FINGERPRINT, Long.toHexString(t5TokenizerFingerprint));
        return new State(target, tensors, meta);
    }

    /**
     * Resumes a run from a state made by {@link #state}, after checking what it reads: the format,
     * the settings, {@code completed_steps}, that the data, CLIP and the T5 tokenizer are those the
     * run started with, and the names, shapes and values of the weights, averages and AdamW's state.
     *
     * @param state         the state, as read back from where it was written
     * @param clipTokenizer CLIP's tokenizer
     * @param clip          the same frozen CLIP text encoder
     * @param t5Tokenizer   the same T5 tokenizer
     * @param data          the same encoded images
     * @param newSteps      the steps of the whole run, or 0 to keep the state's plan
     * @return the trainer, ready to continue
     * @throws InvalidFieldException naming the state's source, the key or tensor, the value and what is expected
     */
    public static TextToImageTrainer resume(State state, ClipTokenizer clipTokenizer, ClipTextModel clip,
                                            Unigram t5Tokenizer, LatentDataset data, int newSteps) {
        String source = state.source();
        Map<String, String> meta = state.metadata();
        MetadataReader r = new MetadataReader(meta, source);
        String format = meta.get("format");
        if (!FORMAT.equals(format)) {
            throw new InvalidFieldException(source, "format", format, "must be '" + FORMAT + "'");
        }
        TextToImageTrainConfig config;
        try {
            config = TextToImageTrainConfig.fromMetadata(meta, source);
        } catch (IllegalArgumentException e) {
            throw new InvalidFieldException(source, "t2i_train.*", null, e.getMessage().startsWith(source + ": ")
                    ? e.getMessage().substring(source.length() + 2) : e.getMessage());
        }
        long completed = r.longIn(COMPLETED_STEPS, 0, config.steps());
        requireFingerprint(r, DATA_FINGERPRINT, data.fingerprint(), "the encoded training images (the data or the"
                + " autoencoder differ)");
        requireFingerprint(r, CLIP_FINGERPRINT, fingerprint(clip), "the CLIP text encoder's weights");
        requireFingerprint(r, T5_TOKENIZER_FINGERPRINT, fingerprint(t5Tokenizer), "the T5 tokenizer's pieces");
        if (config.batchSize() > data.size()) {
            throw new InvalidFieldException(source, TextToImageTrainConfig.PREFIX + "batch_size",
                    Integer.toString(config.batchSize()), "must be at most the " + data.size() + " images to resume on");
        }
        if (newSteps > 0) {
            config = config.withSteps(newSteps);
        }
        TextToImageTrainer trainer;
        try {
            trainer = new TextToImageTrainer(config, clipTokenizer, clip, t5Tokenizer, data);
        } catch (IllegalArgumentException e) {
            throw new InvalidFieldException(source, "t2i_train.*", null, "the settings do not fit the CLIP encoder,"
                    + " the tokenizer or the data: " + e.getMessage());
        }
        Map<String, Shape> transformerShapes = TensorChecks.shapes(trainer.transformer);
        Map<String, Shape> t5Shapes = TensorChecks.shapes(trainer.t5);
        Map<String, Tensor> transformerWeights = withPrefix(state, TRANSFORMER);
        Map<String, Tensor> t5Weights = withPrefix(state, TEXT_ENCODER_3);
        Map<String, Tensor> emaTransformerWeights = withPrefix(state, EMA + TRANSFORMER);
        Map<String, Tensor> emaT5Weights = withPrefix(state, EMA + TEXT_ENCODER_3);
        Map<String, Tensor> optim = withPrefix(state, OPTIM);
        for (String key : state.tensors().keySet()) {
            if (!key.startsWith(TRANSFORMER) && !key.startsWith(TEXT_ENCODER_3) && !key.startsWith(EMA)
                    && !key.startsWith(OPTIM)) {
                throw new InvalidFieldException(source, key, null, "unexpected tensor: a checkpoint holds only "
                        + TRANSFORMER + "*, " + TEXT_ENCODER_3 + "*, " + EMA + "* and " + OPTIM + "*");
            }
            if (key.startsWith(EMA) && !key.startsWith(EMA + TRANSFORMER) && !key.startsWith(EMA + TEXT_ENCODER_3)) {
                throw new InvalidFieldException(source, key, null, "unexpected tensor: the averages are "
                        + EMA + TRANSFORMER + "* and " + EMA + TEXT_ENCODER_3 + "*");
            }
        }
        TensorChecks.requireShapes(transformerWeights, transformerShapes, source, TRANSFORMER);
        TensorChecks.requireShapes(t5Weights, t5Shapes, source, TEXT_ENCODER_3);
        TensorChecks.requireShapes(emaTransformerWeights, transformerShapes, source, EMA + TRANSFORMER);
        TensorChecks.requireShapes(emaT5Weights, t5Shapes, source, EMA + TEXT_ENCODER_3);
        Map<String, Shape> trainedShapes = new LinkedHashMap<>();
        trainer.trained.forEach((k, p) -> trainedShapes.put(k, p.shape()));
        TensorChecks.requireAdamState(optim, trainedShapes, completed, source, OPTIM);
        TensorChecks.requireFinite(transformerWeights, source, TRANSFORMER);
        TensorChecks.requireFinite(t5Weights, source, TEXT_ENCODER_3);
        TensorChecks.requireFinite(emaTransformerWeights, source, EMA + TRANSFORMER);
        TensorChecks.requireFinite(emaT5Weights, source, EMA + TEXT_ENCODER_3);
        TensorChecks.requireFinite(optim, source, OPTIM);
        trainer.transformer.loadStateDict(transformerWeights);
        trainer.t5.loadStateDict(t5Weights);
        trainer.emaTransformer.load(emaTransformerWeights);
        trainer.emaT5.load(emaT5Weights);
        trainer.optimizer.loadState(optim);
        trainer.completed = completed;
        return trainer;
    }

    private static void requireFingerprint(MetadataReader r, String key, long actual, String what) {
        String stored = r.string(key);
        if (!stored.equalsIgnoreCase(Long.toHexString(actual))) {
            throw new InvalidFieldException(r.source(), key, stored, "differs from " + Long.toHexString(actual) + " of "
                    + what + " given to resume: resume with the same ones the run started with");
        }
    }

    /**
     * Checks AdamW's state: {@code steps}, a whole number in {@code [0, completed]}, and for each
     * parameter either no moments or both, of the parameter's shape, the second one non-negative.
     */
    private static Map<String, Tensor> withPrefix(State state, String prefix) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        state.tensors().forEach((k, v) -> {
            if (k.startsWith(prefix)) {
                out.put(k.substring(prefix.length()), v);
            }
        });
        return out;
    }

    /**
     * Returns a 64-bit FNV-1a fingerprint of a layer's weights (names and values), for checking that
     * a resumed run uses the same frozen encoder.
     *
     * @param layer the layer
     * @return the fingerprint
     */
    static long fingerprint(Parameterized layer) {
        long h = 0xcbf29ce484222325L;
        try (Autograd.Scope scope = Autograd.noGrad()) {
            for (Map.Entry<String, Tensor> e : layer.stateDict().entrySet()) {
                h = fnv(h, e.getKey().hashCode());
                for (float v : e.getValue().toArray()) {
                    h = fnv(h, Float.floatToIntBits(v));
                }
            }
        }
        return h;
    }

    /**
     * Returns a 64-bit FNV-1a fingerprint of a Unigram vocabulary: its pieces and scores in id order.
     *
     * @param tokenizer the tokenizer
     * @return the fingerprint
     */
    static long fingerprint(Unigram tokenizer) {
        long h = 0xcbf29ce484222325L;
        for (int id = 0; id < tokenizer.vocabSize(); id++) {
            h = fnv(h, tokenizer.piece(id).hashCode());
            h = fnv(h, Float.floatToIntBits(tokenizer.score(id)));
        }
        return h;
    }

    private static long fnv(long h, int v) {
        return (h ^ v) * 0x100000001b3L;
    }

    /**
     * Returns the captions a step would draw, without training: for tests and the demo's report.
     *
     * @param step the 1-based step
     * @return the batch's captions, {@code ""} where dropped
     */
    List<String> captionsAt(long step) {
        return data.draw(order.batch(step - 1), new Rng(mix(config.seed() ^ CAPTION_SALT, step)),
                new Rng(mix(config.seed() ^ LATENT_SALT, step)), dropout).captions();
    }
}
