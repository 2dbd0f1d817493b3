package org.minidiffusion.diffusion.train;

import java.util.LinkedHashMap;
import java.util.Map;
import org.minidiffusion.core.api.Autograd;
import org.minidiffusion.core.api.Rng;
import org.minidiffusion.core.api.Shape;
import org.minidiffusion.core.api.Tensor;
import org.minidiffusion.diffusion.InvalidFieldException;
import org.minidiffusion.diffusion.MetadataReader;
import org.minidiffusion.diffusion.NoiseSchedule;
import org.minidiffusion.diffusion.TensorChecks;
import org.minidiffusion.diffusion.unet.UNet;
import org.minidiffusion.diffusion.unet.UNetConfig;
import org.minidiffusion.nn.Dropout;
import org.minidiffusion.nn.optim.Adam;
import org.minidiffusion.nn.optim.BatchOrder;
import org.minidiffusion.nn.optim.Ema;
import org.minidiffusion.nn.optim.LearningRateSchedule;

/**
 * Trains a {@link UNet} with the simplified DDPM objective (Ho et al. 2020, Algorithm 1, eq. 14):
 * draw {@code t} and {@code eps}, form {@code x_t = sqrt(alphaBar_t) x0 + sqrt(1 - alphaBar_t) eps},
 * and regress the network's output onto the target of the chosen prediction type.
 *
 * <p>Every random choice of step {@code s} (data order, timesteps, noise, dropped labels, dropout
 * masks) is a function of the seed and {@code s} alone, so a run resumed from a checkpoint
 * continues exactly as if it had never stopped.
 */
public final class Trainer {
    private static final String MODEL = "model.";
    private static final String EMA = "ema.";
    private static final String OPTIM = "optim.";
    private static final String COMPLETED_STEPS = "completed_steps";
    /** Keeps the dropout masks' generator apart from the one that draws timesteps and noise. */
    private static final long DROPOUT_SALT = 0x6A09E667F3BCC908L;

    private final UNet model;
    private final TrainConfig config;
    private final TrainingData data;
    private final NoiseSchedule schedule;
    private final Adam optimizer;
    private final Ema ema;
    private final LearningRateSchedule lr;
    private final BatchOrder order;
    private long completed;

    /**
     * The outcome of one step.
     *
     * @param step     the 1-based step just taken
     * @param loss     the mean squared error of that batch
     * @param gradNorm the global gradient norm before clipping
     * @param lr       the learning rate used
     */
    public record StepResult(long step, double loss, double gradNorm, float lr) {
    }

    /**
     * Starts a run on a freshly initialised model.
     *
     * @param model  the model to train
     * @param config the settings
     * @param data   the images
     */
    public Trainer(UNet model, TrainConfig config, TrainingData data) {
        if (data.size() < config.batchSize()) {
            throw new IllegalArgumentException("Trainer: the data has " + data.size()
                    + " examples, fewer than one batch of " + config.batchSize());
        }
        this.model = model;
        this.config = config;
        this.data = data;
        this.order = new BatchOrder(data.size(), config.batchSize(),
                epoch -> mix(config.seed() ^ 0x5DEECE66DL, epoch));
        this.schedule = NoiseSchedule.of(config.betaSchedule(), config.trainTimesteps());
        this.optimizer = Adam.adamW(model.parameters(), config.learningRate(), config.weightDecay());
        this.ema = new Ema(model, config.emaDecay());
        this.lr = new LearningRateSchedule(config.learningRate(), config.learningRate() * 0.05f,
                config.warmupSteps(), config.steps());
    }

    /**
     * Returns the model being trained.
     *
     * @return the model, with its current (not averaged) weights
     */
    public UNet model() {
        return model;
    }

    /**
     * Returns the settings.
     *
     * @return the config
     */
    public TrainConfig config() {
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
     * Returns a new model holding the EMA weights, for sampling.
     *
     * @return the averaged model in evaluation mode
     * @throws TrainingDivergedException if an EMA weight is NaN or infinite
     */
    public UNet emaModel() {
        String nonFinite = TensorChecks.describeNonFinite(ema.weights(), EMA);
        if (nonFinite != null) {
            throw new TrainingDivergedException("training stopped at step " + completed + ": the EMA weights hold "
                    + nonFinite + ", so they cannot make a model; files saved earlier are as they were");
        }
        UNet copy = new UNet(model.config(), new Rng(0));
        copy.loadStateDict(ema.weights());
        copy.train(false);
        return copy;
    }

    /**
     * Takes one optimiser step.
     *
     * @return the loss and statistics of the step
     * @throws TrainingDivergedException if the loss is NaN or infinite; no weight is changed then
     */
    public StepResult step() {
        long s = completed + 1;
        Rng rng = new Rng(mix(config.seed(), s));
        Dropout.drawMasksFrom(model, new Rng(mix(config.seed() ^ DROPOUT_SALT, s)));
        TrainingData.Batch batch = data.batch(order.batch(completed));
        int b = batch.labels().length;
        int[] t = schedule.randomTimesteps(rng, b);
        Tensor noise = Tensor.randn(rng, batch.images().shape().toArray());
        int[] labels = dropLabels(batch.labels(), rng);
        Tensor xt = schedule.qSample(batch.images(), noise, t);
        Tensor target = schedule.target(config.prediction(), batch.images(), noise, t);
        Tensor diff = model.forward(xt, t, labels).sub(target);
        Tensor loss = diff.mul(diff).mean();                       // eq. 14
        double value = loss.item();
        if (!Double.isFinite(value)) {
            optimizer.zeroGrad();
            throw new TrainingDivergedException("training stopped: the loss is " + value + " at step " + s
                    + "; the weights were not updated and earlier checkpoints are intact. Try a lower learning rate.");
        }
        loss.backward();
        double norm = config.gradClip() > 0f ? optimizer.clipGradNorm(config.gradClip()) : optimizer.gradNorm();
        float rate = lr.at(s);
        optimizer.setLearningRate(rate);
        optimizer.step();
        ema.update(s);
        completed = s;
        return new StepResult(s, value, norm, rate);
    }

    private int[] dropLabels(int[] labels, Rng rng) {
        int nullClass = model.config().nullClass();
        if (nullClass < 0) {
            return null;
        }
        int[] out = labels.clone();
        for (int i = 0; i < out.length; i++) {
            if (rng.nextFloat() < config.classDropout()) {
                out[i] = nullClass;                                  // train the unconditional model too
            }
        }
        return out;
    }

    private static long mix(long seed, long step) {
        return new Rng(seed * 0x9E3779B97F4A7C15L + step).nextLong();
    }

    /**
     * Returns the model, EMA and optimiser state and both configs as a checkpoint, after checking
     * that every value is finite. The model's weights are the trainer's own (no copy), which the next
     * {@link #step} updates in place: write the checkpoint out before it.
     *
     * @param target what the checkpoint will be written to (usually a file name), for error messages
     *               and the checkpoint's {@link Checkpoint#source}
     * @return the checkpoint
     * @throws TrainingDivergedException if a weight, an optimiser moment or an EMA weight is NaN or
     *                                   infinite; no checkpoint is made then, so the last saved files
     *                                   stay as they were
     */
    public Checkpoint checkpoint(String target) {
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        try (Autograd.Scope scope = Autograd.noGrad()) {
            model.stateDict().forEach((k, v) -> tensors.put(MODEL + k, v));
            ema.weights().forEach((k, v) -> tensors.put(EMA + k, v));
            optimizer.state().forEach((k, v) -> tensors.put(OPTIM + k, v));
        }
        String nonFinite = TensorChecks.describeNonFinite(tensors, "");
        if (nonFinite != null) {
            throw new TrainingDivergedException("training stopped at step " + completed + ": not saving " + target
                    + ", the state holds " + nonFinite + "; the files of the last save are as they were."
                    + " Try a lower learning rate.");
        }
        Map<String, String> meta = new LinkedHashMap<>(model.config().toMetadata());
        meta.putAll(config.toMetadata());
        meta.put(COMPLETED_STEPS, Long.toString(completed));
        meta.put("format", "mini-diffusion training checkpoint");
        return new Checkpoint(target, tensors, meta);
    }

    /**
     * Resumes a run from a checkpoint made by {@link #checkpoint}, after checking every field it
     * reads: both configs, {@code completed_steps}, and the names, shapes and values of the
     * weights, the EMA weights and the optimiser state.
     *
     * @param checkpoint the checkpoint, as read back from where it was written
     * @param data       the same images the run was started on
     * @param newSteps   the total number of steps to train to, or 0 to keep the checkpoint's plan
     * @return the trainer, ready to continue
     * @throws InvalidFieldException naming the checkpoint's source, the key or tensor, its value and
     *                               what is allowed
     */
    public static Trainer resume(Checkpoint checkpoint, TrainingData data, int newSteps) {
        String source = checkpoint.source();
        Map<String, String> meta = checkpoint.metadata();
        TrainConfig config = TrainConfig.fromMetadata(meta, source);
        long completed = new MetadataReader(meta, source).longIn(COMPLETED_STEPS, 0, config.steps());
        if (config.batchSize() > data.size()) {
            throw new InvalidFieldException(source, "train.batch_size", Integer.toString(config.batchSize()),
                    "must be at most the " + data.size() + " examples of the data to resume on");
        }
        if (newSteps > 0) {
            config = config.withSteps(newSteps);
        }
        UNetConfig unetConfig = UNetConfig.fromMetadata(meta, source);
        Map<String, Tensor> weights = withPrefix(checkpoint, MODEL);
        unetConfig.checkStoredWeights(TensorChecks.numel(weights), source, MODEL + "*"); // before allocating
        Trainer trainer = new Trainer(new UNet(unetConfig, new Rng(config.seed())), config, data);
        Map<String, Shape> shapes = TensorChecks.shapes(trainer.model);
        Map<String, Tensor> emaWeights = withPrefix(checkpoint, EMA);
        Map<String, Tensor> optim = withPrefix(checkpoint, OPTIM);
        TensorChecks.requireShapes(weights, shapes, source, MODEL);
        TensorChecks.requireShapes(emaWeights, shapes, source, EMA);
        TensorChecks.requireAdamState(optim, shapes, completed, source, OPTIM);
        TensorChecks.requireFinite(weights, source, MODEL);
        TensorChecks.requireFinite(emaWeights, source, EMA);
        TensorChecks.requireFinite(optim, source, OPTIM);
        trainer.model.loadStateDict(weights);
        trainer.ema.load(emaWeights);
        trainer.optimizer.loadState(optim);
        trainer.completed = completed;
        return trainer;
    }

    /**
     * Checks AdamW's state: {@code steps}, a whole number in {@code [0, completed]}, and for each
     * parameter either no moments or both, of the parameter's shape, the second one non-negative.
     */
    private static Map<String, Tensor> withPrefix(Checkpoint checkpoint, String prefix) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        checkpoint.tensors().forEach((k, v) -> {
            if (k.startsWith(prefix)) {
                out.put(k.substring(prefix.length()), v);
            }
        });
        return out;
    }
}
