package org.minidiffusion.transformer.clip;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.minidiffusion.core.api.Autograd;
import org.minidiffusion.core.api.Parameter;
import org.minidiffusion.core.api.Rng;
import org.minidiffusion.core.api.Shape;
import org.minidiffusion.core.api.Tensor;
import org.minidiffusion.io.Json;
import org.minidiffusion.nn.config.ConfigJson;
import org.minidiffusion.nn.optim.Adam;
import org.minidiffusion.nn.optim.BatchOrder;
import org.minidiffusion.nn.optim.LearningRateSchedule;

/**
 * Trains a {@link ClipModel} with CLIP's symmetric contrastive loss ({@link ClipLoss}, identity
 * targets) on {@link ImageTextPairs}: AdamW (weight decay on the matrices only), linear warm-up and
 * cosine decay of the learning rate.
 *
 * <p>A batch may hold several pairs with the same caption; they stay negatives of each other, as in
 * CLIP. Spreading the targets over identical captions instead ({@link ClipLoss#targets}) would change
 * nothing: identical token ids give identical text embeddings, hence identical logit columns, and
 * the loss is then the same function of the weights.
 *
 * <p>The data order (epochs of seeded permutations) is a function of the seed and the step alone,
 * and the checkpoint holds the weights and both optimisers' moments, so a run resumed from
 * {@link #state} continues exactly as if it had never stopped.
 */
public final class ClipTrainer {
    /** The {@code format} metadata of a checkpoint. */
    public static final String FORMAT = "mini-diffusion CLIP training checkpoint";
    private static final String MODEL = "model.";
    private static final String DECAY = "optim.decay.";
    private static final String NO_DECAY = "optim.no_decay.";
    private static final String COMPLETED_STEPS = "completed_steps";
    private static final String TEXT_CONFIG = "text_config";
    private static final String IMAGE_CONFIG = "image_config";
    private static final long ORDER_SALT = 0x5DEECE66DL;

    private final ClipModel model;
    private final ClipTrainConfig config;
    private final ImageTextPairs data;
    private final Map<String, Parameter> matrices = new LinkedHashMap<>();
    private final Map<String, Parameter> others = new LinkedHashMap<>();
    private final Adam decayed;
    private final Adam notDecayed;
    private final LearningRateSchedule lr;
    private final BatchOrder order;
    private long completed;

    /**
     * The outcome of one step.
     *
     * @param step       the 1-based step just taken
     * @param loss       the contrastive loss of the batch
     * @param gradNorm   the global gradient norm
     * @param lr         the learning rate used
     * @param logitScale the logit scale {@code min(exp(t), 100)} the batch was scored with
     * @param accuracy   the fraction of the batch's images whose best-scoring caption is their own (or identical to it)
     */
    public record StepResult(long step, double loss, double gradNorm, float lr, float logitScale, double accuracy) {
    }

    /**
     * A checkpoint: tensors and string metadata, as a safetensors file stores them.
     *
     * @param tensors  the weights ({@code model.*}) and optimiser state ({@code optim.*})
     * @param metadata the configs, the training settings and {@code completed_steps}
     */
    public record State(Map<String, Tensor> tensors, Map<String, String> metadata) {
    }

    /**
     * Starts a run.
     *
     * @param model  the model to train
     * @param config the settings
     * @param data   the pairs, at least one batch
     */
    public ClipTrainer(ClipModel model, ClipTrainConfig config, ImageTextPairs data) {
        if (data.size() < config.batchSize()) {
            throw new IllegalArgumentException("ClipTrainer: the data has " + data.size()
                    + " pairs, fewer than one batch of " + config.batchSize());
        }
        this.model = model;
        this.config = config;
        this.data = data;
        this.order = new BatchOrder(data.size(), config.batchSize(),
                epoch -> new Rng(config.seed() ^ ORDER_SALT).nextLong() * 0x9E3779B97F4A7C15L + epoch);
        model.parameters().forEach((name, p) -> (p.shape().rank() >= 2 ? matrices : others).put(name, p));
        this.decayed = Adam.adamW(matrices, config.learningRate(), config.weightDecay());
        this.notDecayed = Adam.adam(others, config.learningRate());
        this.lr = new LearningRateSchedule(config.learningRate(), config.learningRate() * 0.05f,
                config.warmupSteps(), config.steps());
    }

    /** Returns the model being trained. */
    public ClipModel model() {
        return model;
    }

    /** Returns the settings. */
    public ClipTrainConfig config() {
        return config;
    }

    /** Returns the steps taken so far, including those before a resume. */
    public long completedSteps() {
        return completed;
    }

    /**
     * Takes one optimiser step on the next batch.
     *
     * @return the loss and statistics of the step
     * @throws ClipTrainingException if the loss is NaN or infinite; no weight is changed then
     */
    public StepResult step() {
        long s = completed + 1;
        int[] indices = order.batch(completed);
        int[][] ids = new int[indices.length][];
        for (int i = 0; i < indices.length; i++) {
            ids[i] = data.tokenIds(indices[i]);
        }
        ClipModel.Output out = model.forward(data.images(indices), ids, null);     // CLIP's targets: pair i is i
        double value = out.loss().item();
        if (!Double.isFinite(value)) {
            throw new ClipTrainingException("training stopped: the loss is " + value + " at step " + s
                    + "; the weights were not updated and earlier checkpoints are intact. Try a lower learning rate.");
        }
        float scale = ClipLoss.scale(model.logitScale().value()).item();
        double accuracy = accuracy(out.logitsPerImage(), captionGroups(ids));
        out.loss().backward();
        double a = decayed.gradNorm();
        double b = notDecayed.gradNorm();
        float rate = lr.at(s);
        decayed.setLearningRate(rate);
        notDecayed.setLearningRate(rate);
        decayed.step();
        notDecayed.step();
        completed = s;
        return new StepResult(s, value, Math.sqrt(a * a + b * b), rate, scale, accuracy);
    }

    /**
     * Returns, for a batch of captions, the index of the first caption equal to each.
     *
     * @param ids the token ids of the batch
     * @return a group per caption
     */
    static int[] captionGroups(int[][] ids) {
        int[] groups = new int[ids.length];
        for (int i = 0; i < ids.length; i++) {
            groups[i] = i;
            for (int j = 0; j < i; j++) {
                if (Arrays.equals(ids[i], ids[j])) {
                    groups[i] = groups[j];
                    break;
                }
            }
        }
        return groups;
    }

    /** Returns the fraction of rows whose largest logit is in a column of the row's group. */
    static double accuracy(Tensor logitsPerImage, int[] groups) {
        float[] l = logitsPerImage.toArray();
        int n = logitsPerImage.size(1);
        int hits = 0;
        for (int i = 0; i < logitsPerImage.size(0); i++) {
            int best = 0;
            for (int j = 1; j < n; j++) {
                if (l[i * n + j] > l[i * n + best]) {
                    best = j;
                }
            }
            hits += groups[best] == groups[i] ? 1 : 0;
        }
        return hits / (double) logitsPerImage.size(0);
    }

    /**
     * Returns the weights, both optimisers' state, the configs and the settings, after checking
     * every value is finite. The tensors are the trainer's own: write them out before the next step.
     *
     * @param target what the state will be written to, named in the error
     * @return the checkpoint
     * @throws ClipTrainingException if a value is NaN or infinite; nothing should be saved then
     */
    public State state(String target) {
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        try (Autograd.Scope scope = Autograd.noGrad()) {
            model.stateDict().forEach((k, v) -> tensors.put(MODEL + k, v));
            decayed.state().forEach((k, v) -> tensors.put(DECAY + k, v));
            notDecayed.state().forEach((k, v) -> tensors.put(NO_DECAY + k, v));
        }
        String bad = firstNonFinite(tensors);
        if (bad != null) {
            throw new ClipTrainingException("training stopped at step " + completed + ": not saving " + target
                    + ", " + bad + " is not finite; the files of the last save are as they were. Try a lower learning rate.");
        }
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", FORMAT);
        meta.put(COMPLETED_STEPS, Long.toString(completed));
        meta.put(TEXT_CONFIG, Json.write(model.textEncoder().config().toJson()));
        meta.put(IMAGE_CONFIG, Json.write(model.imageEncoder().config().toJson()));
        meta.putAll(config.toMetadata());
        return new State(tensors, meta);
    }

    /**
     * Resumes a run from a checkpoint made by {@link #state}, after checking what it reads: the
     * format, the configs, the settings, {@code completed_steps}, and the names, shapes and values
     * of the weights and optimiser moments.
     *
     * @param source   where the checkpoint was read, named in errors
     * @param state    the checkpoint
     * @param data     the same pairs the run was started on
     * @param newSteps the steps of the whole run, or 0 to keep the checkpoint's plan
     * @return the trainer, ready to continue
     * @throws IllegalArgumentException naming the source, the key or tensor and the value at fault
     */
    public static ClipTrainer resume(String source, State state, ImageTextPairs data, int newSteps) {
        Map<String, String> meta = state.metadata();
        String format = meta.get("format");
        if (!FORMAT.equals(format)) {
            throw new IllegalArgumentException(source + ": the metadata 'format' is "
                    + (format == null ? "missing" : "'" + format + "'") + ", not '" + FORMAT + "'");
        }
        ClipTrainConfig config = ClipTrainConfig.fromMetadata(meta, source);
        long completed = ClipTrainConfig.number(meta, source, COMPLETED_STEPS, 0, config.steps());
        if (config.batchSize() > data.size()) {
            throw new IllegalArgumentException(source + ": the batch size " + config.batchSize() + " is larger than the "
                    + data.size() + " pairs to resume on");
        }
        if (newSteps > 0) {
            config = config.withSteps(newSteps);
        }
        ClipTextConfig text;
        ClipImageEncoderConfig image;
        Path where = Path.of(source);
        try {
            text = ClipTextConfig.fromJson(ConfigJson.parse(ClipTrainConfig.text(meta, source, TEXT_CONFIG), where));
            image = ClipImageEncoderConfig.fromJson(ConfigJson.parse(ClipTrainConfig.text(meta, source, IMAGE_CONFIG), where));
        } catch (IOException e) {
            throw new IllegalArgumentException(source + ": a model config in the metadata is invalid: " + e.getMessage(), e);
        }
        Rng rng = new Rng(config.seed());
        ClipModel model = new ClipModel(new ClipTextModel(text, true, rng), new ClipImageEncoder(image, rng));
        ClipTrainer trainer = new ClipTrainer(model, config, data);
        Map<String, Tensor> weights = withPrefix(state.tensors(), MODEL);
        Map<String, Tensor> decay = withPrefix(state.tensors(), DECAY);
        Map<String, Tensor> noDecay = withPrefix(state.tensors(), NO_DECAY);
        for (String key : state.tensors().keySet()) {
            if (!key.startsWith(MODEL) && !key.startsWith(DECAY) && !key.startsWith(NO_DECAY)) {
                throw new IllegalArgumentException(source + ": unexpected tensor '" + key + "'");
            }
        }
        String bad = firstNonFinite(state.tensors());
        if (bad != null) {
            throw new IllegalArgumentException(source + ": " + bad + " is not finite");
        }
        try {
            model.loadStateDict(weights);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(source + ": the weights (" + MODEL + "*) do not fit the configs: "
                    + e.getMessage(), e);
        }
        loadOptimizer(trainer.decayed, trainer.matrices, decay, source, DECAY, completed);
        loadOptimizer(trainer.notDecayed, trainer.others, noDecay, source, NO_DECAY, completed);
        trainer.completed = completed;
        return trainer;
    }

    /** Checks and loads one optimiser's state: its step count, and both moments of a parameter's shape or neither. */
    private static void loadOptimizer(Adam optimizer, Map<String, Parameter> params, Map<String, Tensor> state,
                                      String source, String prefix, long completed) {
        Tensor steps = state.get("steps");
        if (steps == null || steps.numel() != 1) {
            throw new IllegalArgumentException(source + ": the tensor '" + prefix + "steps' is "
                    + (steps == null ? "missing" : "of shape " + steps.shape() + ", not one value"));
        }
        float n = steps.toArray()[0];
        if (!(n >= 0 && n <= completed && n == Math.rint(n))) {
            throw new IllegalArgumentException(source + ": '" + prefix + "steps' is " + n
                    + ", not a whole number in [0, completed_steps " + completed + "]");
        }
        Map<String, Shape> shapes = new LinkedHashMap<>();
        params.forEach((name, p) -> {
            shapes.put("m." + name, p.shape());
            shapes.put("v." + name, p.shape());
        });
        for (Map.Entry<String, Tensor> e : state.entrySet()) {
            String key = e.getKey();
            if (key.equals("steps")) {
                continue;
            }
            Shape expected = shapes.get(key);
            if (expected == null) {
                throw new IllegalArgumentException(source + ": unexpected tensor '" + prefix + key + "'");
            }
            if (!expected.equals(e.getValue().shape())) {
                throw new IllegalArgumentException(source + ": the tensor '" + prefix + key + "' has shape "
                        + e.getValue().shape() + ", expected " + expected);
            }
            if (key.startsWith("v.")) {
                float[] v = e.getValue().toArray();
                for (int i = 0; i < v.length; i++) {
                    if (v[i] < 0f) {
                        throw new IllegalArgumentException(source + ": " + prefix + key + "[" + i + "] = " + v[i]
                                + ", but a second moment is >= 0");
                    }
                }
            }
        }
        try {
            optimizer.loadState(state);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(source + ": " + prefix + "*: " + e.getMessage(), e);
        }
    }

    private static Map<String, Tensor> withPrefix(Map<String, Tensor> tensors, String prefix) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        tensors.forEach((k, v) -> {
            if (k.startsWith(prefix)) {
                out.put(k.substring(prefix.length()), v);
            }
        });
        return out;
    }

    private static String firstNonFinite(Map<String, Tensor> tensors) {
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            float[] v = e.getValue().toArray();
            for (int i = 0; i < v.length; i++) {
                if (!Float.isFinite(v[i])) {
                    return String.format(Locale.ROOT, "%s[%d] = %s", e.getKey(), i, v[i]);
                }
            }
        }
        return null;
    }
}
