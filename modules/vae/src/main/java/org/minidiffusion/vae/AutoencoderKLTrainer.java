package org.minidiffusion.vae;

import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import org.minidiffusion.core.api.Autograd;
import org.minidiffusion.core.api.Rng;
import org.minidiffusion.core.api.Shape;
import org.minidiffusion.core.api.Tensor;
import org.minidiffusion.nn.config.ConfigFileException;
import org.minidiffusion.nn.optim.Adam;
import org.minidiffusion.nn.optim.BatchOrder;
import org.minidiffusion.nn.optim.LearningRateSchedule;

/**
 * Trains an {@link AutoencoderKL} with the {@link VaeObjective} (reconstruction plus
 * {@code beta}-weighted KL term), AdamW, gradient clipping and a warm-up then cosine-decay learning
 * rate.
 *
 * <p>Every random choice of step {@code s} (the images of the batch and the reparameterisation
 * noise) is a function of the seed and {@code s} alone, so a run resumed from a {@link #checkpoint}
 * continues exactly, bit for bit, as if it had never stopped.
 */
public final class AutoencoderKLTrainer {
    private static final String MODEL = "model.";
    private static final String OPTIM = "optim.";
    private static final String CONFIG = "vae_config";
    private static final String COMPLETED_STEPS = "completed_steps";
    private static final String FORMAT = "format";
    /** The {@code format} metadata of a checkpoint. */
    public static final String FORMAT_NAME = "mini-diffusion autoencoder training checkpoint";
    /** The learning rate at the last step, as a fraction of the peak. */
    private static final float FLOOR = 0.05f;

    private final AutoencoderKL vae;
    private final VaeTrainConfig config;
    private final Images data;
    private final VaeObjective objective;
    private final Adam optimizer;
    private final LearningRateSchedule lr;
    private final BatchOrder order;
    private long completed;

    /** The images to train on. */
    public interface Images {
        /**
         * Returns the number of images.
         *
         * @return the size
         */
        int size();

        /**
         * Returns the images at the given indices, in that order.
         *
         * @param indices positions in {@code [0, size())}
         * @return {@code (B, in_channels, H, W)}, scaled to {@code [-1, 1]}
         */
        Tensor batch(int[] indices);
    }

    /**
     * The outcome of one step.
     *
     * @param step           the 1-based step just taken
     * @param loss           the loss of the batch
     * @param reconstruction its mean squared error per pixel value
     * @param kl             its KL term per image, in nats
     * @param gradNorm       the global gradient norm before clipping
     * @param lr             the learning rate used
     */
    public record StepResult(long step, double loss, double reconstruction, double kl, double gradNorm, float lr) {
    }

    /**
     * The state of a run in no particular file format: named tensors (the weights under
     * {@code model.}, AdamW's state under {@code optim.}) and string metadata (the autoencoder's
     * {@code config.json} under {@code vae_config}, the training settings, {@code completed_steps}).
     * Writing it out (for example as safetensors, whose tensors and metadata it mirrors) is up to the caller.
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
     * Starts a run.
     *
     * @param vae    the autoencoder to train, freshly initialised
     * @param config the settings
     * @param data   the images
     * @throws IllegalArgumentException if the data hold fewer images than one batch
     */
    public AutoencoderKLTrainer(AutoencoderKL vae, VaeTrainConfig config, Images data) {
        if (data.size() < config.batchSize()) {
            throw new IllegalArgumentException("AutoencoderKLTrainer: the data have " + data.size()
                    + " images, fewer than one batch of " + config.batchSize());
        }
        this.vae = vae;
        this.config = config;
        this.data = data;
        this.order = new BatchOrder(data.size(), config.batchSize(),
                epoch -> mix(config.seed() ^ 0x5DEECE66DL, epoch));
        this.objective = new VaeObjective(config.beta());
        this.optimizer = Adam.adamW(vae.parameters(), config.learningRate(), config.weightDecay());
        this.lr = new LearningRateSchedule(config.learningRate(), config.learningRate() * FLOOR,
                config.warmupSteps(), config.steps());
    }

    /**
     * Returns the autoencoder being trained.
     *
     * @return the model, with its current weights
     */
    public AutoencoderKL model() {
        return vae;
    }

    /**
     * Returns the settings.
     *
     * @return the config
     */
    public VaeTrainConfig config() {
        return config;
    }

    /**
     * Returns the number of steps taken so far, including those before a resume.
     *
     * @return the completed steps
     */
    public long completedSteps() {
        return completed;
    }

    /**
     * Takes one optimiser step on the next batch.
     *
     * @return the loss, its terms and statistics of the step
     * @throws VaeTrainingDivergedException if the loss is NaN or infinite; no weight is changed then
     */
    public StepResult step() {
        long s = completed + 1;
        Tensor x = data.batch(order.batch(completed));           // (B, C, H, W) in [-1, 1]
        VaeObjective.Terms t = objective.evaluate(vae, x, new Rng(mix(config.seed(), s)));
        double loss = t.loss().item();
        if (!Double.isFinite(loss)) {
            optimizer.zeroGrad();
            throw new VaeTrainingDivergedException("training stopped: the loss is " + loss + " at step " + s
                    + "; the weights were not updated and earlier checkpoints are intact. Try a lower learning rate.");
        }
        double reconstruction = t.reconstruction().item();
        double kl = t.kl().item();
        t.loss().backward();
        double norm = config.gradClip() > 0f ? optimizer.clipGradNorm(config.gradClip()) : optimizer.gradNorm();
        float rate = lr.at(s);
        optimizer.setLearningRate(rate);
        optimizer.step();
        completed = s;
        return new StepResult(s, loss, reconstruction, kl, norm, rate);
    }

    private static long mix(long seed, long step) {
        return new Rng(seed * 0x9E3779B97F4A7C15L + step).nextLong();
    }

    /**
     * Returns the weights, the optimiser state and the settings, after checking that every value
     * is finite. The tensors are the trainer's own (no copy): write the state out before the next
     * {@link #step}.
     *
     * @param target what the state will be written to (usually a file name), for messages
     * @return the state
     * @throws VaeTrainingDivergedException if a weight or an optimiser moment is NaN or infinite;
     *                                      nothing is returned then, so the last saved files stay as they were
     */
    public State checkpoint(String target) {
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        try (Autograd.Scope scope = Autograd.noGrad()) {
            vae.stateDict().forEach((k, v) -> tensors.put(MODEL + k, v));
            optimizer.state().forEach((k, v) -> tensors.put(OPTIM + k, v));
        }
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            int bad = firstNonFinite(e.getValue().toArray());
            if (bad >= 0) {
                throw new VaeTrainingDivergedException("training stopped at step " + completed + ": not saving " + target
                        + ", " + e.getKey() + "[" + bad + "] is " + e.getValue().toArray()[bad]
                        + "; the files of the last save are as they were. Try a lower learning rate.");
            }
        }
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put(FORMAT, FORMAT_NAME);
        meta.put(CONFIG, vae.config().toJson());
        meta.putAll(config.toMetadata());
        meta.put(COMPLETED_STEPS, Long.toString(completed));
        return new State(target, tensors, meta);
    }

    /**
     * Resumes a run from a state made by {@link #checkpoint}, after checking every field it reads:
     * the autoencoder's config, the settings, {@code completed_steps}, and the names, shapes and
     * values of the weights and the optimiser state.
     *
     * @param state    the state, as read back from where it was written
     * @param data     the same images the run was started on
     * @param newSteps the total number of steps to train to, or 0 to keep the state's plan
     * @return the trainer, ready to continue
     * @throws InvalidTrainingStateException naming the state's source, the key or tensor, its value and
     *                                       what is allowed
     */
    public static AutoencoderKLTrainer resume(State state, Images data, int newSteps) {
        String source = state.source();
        Map<String, String> meta = state.metadata();
        String format = meta.get(FORMAT);
        if (!FORMAT_NAME.equals(format)) {
            throw new InvalidTrainingStateException(source, FORMAT, format, "expected '" + FORMAT_NAME
                    + "'; is this a checkpoint of another kind of model?");
        }
        VaeTrainConfig config = VaeTrainConfig.fromMetadata(meta, source);
        long completed = integer(meta, source, COMPLETED_STEPS, 0, config.steps());
        if (config.batchSize() > data.size()) {
            throw new InvalidTrainingStateException(source, "vae_train.batch_size", Integer.toString(config.batchSize()),
                    "must be at most the " + data.size() + " images of the data to resume on");
        }
        if (newSteps > 0) {
            config = config.withSteps(newSteps);
        }
        AutoencoderKLConfig vaeConfig = vaeConfig(meta, source);
        Map<String, Tensor> weights = withPrefix(state, MODEL);
        long stored = 0;
        for (Tensor t : weights.values()) {
            stored += t.numel();
        }
        if (stored != vaeConfig.parameterCount()) { // before building a model of a size the file chose
            throw new InvalidTrainingStateException(source, MODEL + "*", stored + " values",
                    "the " + CONFIG + " describes an autoencoder of " + vaeConfig.parameterCount() + " parameters");
        }
        AutoencoderKLTrainer trainer = new AutoencoderKLTrainer(new AutoencoderKL(vaeConfig, new Rng(config.seed())),
                config, data);
        Map<String, Shape> shapes = new LinkedHashMap<>();
        trainer.vae.parameters().forEach((k, p) -> shapes.put(k, p.shape()));
        requireShapes(weights, shapes, source, MODEL);
        Map<String, Tensor> optim = withPrefix(state, OPTIM);
        checkOptimizerState(optim, shapes, completed, source);
        requireFinite(weights, source, MODEL);
        requireFinite(optim, source, OPTIM);
        trainer.vae.loadStateDict(weights);
        trainer.optimizer.loadState(optim);
        trainer.completed = completed;
        return trainer;
    }

    private static AutoencoderKLConfig vaeConfig(Map<String, String> meta, String source) {
        String json = meta.get(CONFIG);
        if (json == null) {
            throw new InvalidTrainingStateException(source, CONFIG, null, "the key is missing");
        }
        Path where = Path.of(CONFIG); // the message names the checkpoint and the key instead of a file
        try {
            return AutoencoderKLConfig.fromJson(json, where);
        } catch (ConfigFileException e) {
            String detail = e.getMessage().startsWith(CONFIG + ": ") ? e.getMessage().substring(CONFIG.length() + 2)
                    : e.getMessage();
            throw new InvalidTrainingStateException(source, CONFIG, null, "is not a valid AutoencoderKL config: "
                    + detail);
        }
    }

    private static long integer(Map<String, String> meta, String source, String key, long min, long max) {
        String v = meta.get(key);
        if (v == null) {
            throw new InvalidTrainingStateException(source, key, null, "the key is missing");
        }
        try {
            long n = Long.parseLong(v.trim());
            if (n >= min && n <= max) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new InvalidTrainingStateException(source, key, v, "must be an integer in [" + min + ", " + max + "]");
    }

    /**
     * Checks AdamW's state: {@code steps}, a whole number in {@code [0, completed]}, and for each
     * parameter either no moments or both, of the parameter's shape, the second one non-negative.
     */
    private static void checkOptimizerState(Map<String, Tensor> optim, Map<String, Shape> shapes, long completed,
                                            String source) {
        Tensor steps = optim.get("steps");
        if (steps == null) {
            throw new InvalidTrainingStateException(source, OPTIM + "steps", null, "the tensor is missing");
        }
        if (steps.numel() != 1) {
            throw new InvalidTrainingStateException(source, OPTIM + "steps", "shape " + steps.shape(),
                    "must hold one value");
        }
        float n = steps.toArray()[0];
        if (!(n >= 0 && n <= (float) completed && n == Math.rint(n))) {
            throw new InvalidTrainingStateException(source, OPTIM + "steps", Float.toString(n),
                    "must be a whole number in [0, completed_steps = " + completed + "]");
        }
        Map<String, Shape> moments = new LinkedHashMap<>();
        for (String name : shapes.keySet()) {
            boolean hasM = optim.containsKey("m." + name);
            if (hasM != optim.containsKey("v." + name)) {
                throw new InvalidTrainingStateException(source, OPTIM + (hasM ? "v." : "m.") + name, null,
                        "the tensor is missing; the two moments of a parameter come together");
            }
            if (hasM) {
                moments.put("m." + name, shapes.get(name));
                moments.put("v." + name, shapes.get(name));
            }
        }
        Map<String, Tensor> stored = new LinkedHashMap<>(optim);
        stored.remove("steps");
        requireShapes(stored, moments, source, OPTIM);
        stored.forEach((name, t) -> {
            if (name.startsWith("v.")) {
                float[] v = t.toArray();
                for (int i = 0; i < v.length; i++) {
                    if (v[i] < 0f) {
                        throw new InvalidTrainingStateException(source, OPTIM + name, "[" + i + "] = " + v[i],
                                "a second moment must be >= 0");
                    }
                }
            }
        });
    }

    private static void requireShapes(Map<String, Tensor> tensors, Map<String, Shape> expected, String source,
                                      String prefix) {
        for (Map.Entry<String, Shape> e : expected.entrySet()) {
            Tensor t = tensors.get(e.getKey());
            if (t == null) {
                throw new InvalidTrainingStateException(source, prefix + e.getKey(), null, "the tensor is missing");
            }
            if (!t.shape().equals(e.getValue())) {
                throw new InvalidTrainingStateException(source, prefix + e.getKey(), "shape " + t.shape(),
                        "must have shape " + e.getValue());
            }
        }
        for (String name : tensors.keySet()) {
            if (!expected.containsKey(name)) {
                throw new InvalidTrainingStateException(source, prefix + name, null,
                        "is not a tensor of this model; the checkpoint does not match its " + CONFIG);
            }
        }
    }

    private static void requireFinite(Map<String, Tensor> tensors, String source, String prefix) {
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            float[] v = e.getValue().toArray();
            int bad = firstNonFinite(v);
            if (bad >= 0) {
                throw new InvalidTrainingStateException(source, prefix + e.getKey(), String.format(Locale.ROOT,
                        "[%d] = %s", bad, v[bad]), "every stored value must be finite");
            }
        }
    }

    private static int firstNonFinite(float[] values) {
        for (int i = 0; i < values.length; i++) {
            if (!Float.isFinite(values[i])) {
                return i;
            }
        }
        return -1;
    }

    private static Map<String, Tensor> withPrefix(State state, String prefix) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        state.tensors().forEach((k, v) -> {
            if (k.startsWith(prefix)) {
                out.put(k.substring(prefix.length()), v);
            }
        });
        return out;
    }
}
