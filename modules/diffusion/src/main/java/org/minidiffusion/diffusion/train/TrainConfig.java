package org.minidiffusion.diffusion.train;

import java.util.LinkedHashMap;
import java.util.Map;
import org.minidiffusion.diffusion.BetaSchedule;
import org.minidiffusion.diffusion.InvalidFieldException;
import org.minidiffusion.diffusion.MetadataReader;
import org.minidiffusion.diffusion.PredictionType;

/**
 * The settings of a training run.
 *
 * @param steps          optimiser steps in all
 * @param batchSize      images per step
 * @param learningRate   the peak learning rate of AdamW
 * @param warmupSteps    steps of linear warm-up before the cosine decay
 * @param weightDecay    AdamW's decoupled weight decay
 * @param gradClip       the largest global gradient norm; 0 disables clipping
 * @param emaDecay       the decay of the EMA weights
 * @param classDropout   the probability of replacing a label by the null class (for guidance)
 * @param seed           seeds the data order, timesteps and noise
 * @param prediction     what the network predicts
 * @param betaSchedule   the noise schedule
 * @param trainTimesteps T, the number of diffusion steps
 */
public record TrainConfig(int steps, int batchSize, float learningRate, int warmupSteps, float weightDecay,
                          float gradClip, float emaDecay, float classDropout, long seed,
                          PredictionType prediction, BetaSchedule betaSchedule, int trainTimesteps) {

    /** The largest number of diffusion timesteps {@code T} accepted (DDPM uses 1000, some models 4000). */
    public static final int MAX_TRAIN_TIMESTEPS = 100_000;
    /** The largest batch accepted. */
    public static final int MAX_BATCH_SIZE = 1 << 16;
    /** The largest learning rate accepted. */
    public static final float MAX_LEARNING_RATE = 1f;
    /** The largest weight decay accepted. */
    public static final float MAX_WEIGHT_DECAY = 1f;
    /** The largest gradient-clipping norm accepted. */
    public static final float MAX_GRAD_CLIP = 1e6f;

    /**
     * Validates the settings.
     *
     * @throws IllegalArgumentException naming the first setting out of range, with its value
     */
    public TrainConfig {
        check("steps", steps, steps >= 1, "must be at least 1");
        check("batchSize", batchSize, batchSize >= 1 && batchSize <= MAX_BATCH_SIZE, "must be in [1, " + MAX_BATCH_SIZE + "]");
        check("learningRate", learningRate, learningRate > 0f && learningRate <= MAX_LEARNING_RATE,
                "must be a finite number in (0, " + MAX_LEARNING_RATE + "]");
        check("warmupSteps", warmupSteps, warmupSteps >= 0 && warmupSteps <= steps, "must be in [0, steps = " + steps + "]");
        check("weightDecay", weightDecay, weightDecay >= 0f && weightDecay <= MAX_WEIGHT_DECAY,
                "must be a finite number in [0, " + MAX_WEIGHT_DECAY + "]");
        check("gradClip", gradClip, gradClip >= 0f && gradClip <= MAX_GRAD_CLIP,
                "must be a finite number in [0, " + MAX_GRAD_CLIP + "] (0 disables clipping)");
        check("emaDecay", emaDecay, emaDecay >= 0f && emaDecay < 1f, "must be a finite number in [0, 1)");
        check("classDropout", classDropout, classDropout >= 0f && classDropout < 1f, "must be a finite number in [0, 1)");
        check("trainTimesteps", trainTimesteps, trainTimesteps >= 2 && trainTimesteps <= MAX_TRAIN_TIMESTEPS,
                "must be in [2, " + MAX_TRAIN_TIMESTEPS + "]");
        if (prediction == null || betaSchedule == null) {
            throw new IllegalArgumentException("TrainConfig: prediction and betaSchedule must be set");
        }
    }

    /** Comparisons with NaN are false, so a NaN setting fails every range check. */
    private static void check(String name, Object value, boolean ok, String allowed) {
        if (!ok) {
            throw new IllegalArgumentException("TrainConfig: " + name + " = " + value + ": " + allowed);
        }
    }

    /**
     * Returns the defaults used by the {@code train} demo for Fashion-MNIST.
     *
     * @param steps the number of steps
     * @param seed  the seed
     * @return the config
     */
    public static TrainConfig defaults(int steps, long seed) {
        return new TrainConfig(steps, 64, 1e-3f, Math.min(200, steps / 10), 0.01f, 1f, 0.999f, 0.1f, seed,
                PredictionType.EPSILON, BetaSchedule.COSINE, 1000);
    }

    /**
     * Returns a copy with another number of steps, for continuing a run beyond its plan.
     *
     * @param newSteps the new total
     * @return the config
     */
    public TrainConfig withSteps(int newSteps) {
        return new TrainConfig(newSteps, batchSize, learningRate, Math.min(warmupSteps, newSteps), weightDecay,
                gradClip, emaDecay, classDropout, seed, prediction, betaSchedule, trainTimesteps);
    }

    /**
     * Returns the settings as string pairs, for checkpoint metadata.
     *
     * @return an ordered map with keys prefixed {@code train.}
     */
    public Map<String, String> toMetadata() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("train.steps", Integer.toString(steps));
        m.put("train.batch_size", Integer.toString(batchSize));
        m.put("train.learning_rate", Float.toString(learningRate));
        m.put("train.warmup_steps", Integer.toString(warmupSteps));
        m.put("train.weight_decay", Float.toString(weightDecay));
        m.put("train.grad_clip", Float.toString(gradClip));
        m.put("train.ema_decay", Float.toString(emaDecay));
        m.put("train.class_dropout", Float.toString(classDropout));
        m.put("train.seed", Long.toString(seed));
        m.put("prediction_type", prediction.name().toLowerCase(java.util.Locale.ROOT));
        m.put("beta_schedule", betaSchedule.name().toLowerCase(java.util.Locale.ROOT));
        m.put("train_timesteps", Integer.toString(trainTimesteps));
        return m;
    }

    /**
     * Reads settings written by {@link #toMetadata()}.
     *
     * @param m the metadata
     * @return the config
     * @throws InvalidFieldException naming a missing, malformed or out-of-range key
     */
    public static TrainConfig fromMetadata(Map<String, String> m) {
        return fromMetadata(m, "checkpoint metadata");
    }

    /**
     * Reads settings written by {@link #toMetadata()}, checking each against its range.
     *
     * @param m      the metadata
     * @param source where it comes from, for messages (usually the file)
     * @return the config
     * @throws InvalidFieldException naming the source and a missing, malformed or out-of-range key
     */
    public static TrainConfig fromMetadata(Map<String, String> m, String source) {
        MetadataReader r = new MetadataReader(m, source);
        int steps = r.intIn("train.steps", 1, Integer.MAX_VALUE);
        int batchSize = r.intIn("train.batch_size", 1, MAX_BATCH_SIZE);
        float learningRate = r.floatIn("train.learning_rate", 0f, MAX_LEARNING_RATE, false);
        if (learningRate == 0f) {
            throw r.invalid("train.learning_rate", r.string("train.learning_rate"),
                    "must be a finite number in (0, " + MAX_LEARNING_RATE + "]");
        }
        return new TrainConfig(steps, batchSize, learningRate,
                r.intIn("train.warmup_steps", 0, steps),
                r.floatIn("train.weight_decay", 0f, MAX_WEIGHT_DECAY, false),
                r.floatIn("train.grad_clip", 0f, MAX_GRAD_CLIP, false),
                r.floatIn("train.ema_decay", 0f, 1f, true),
                r.floatIn("train.class_dropout", 0f, 1f, true),
                r.longIn("train.seed", Long.MIN_VALUE, Long.MAX_VALUE),
                r.enumValue("prediction_type", PredictionType.class),
                r.enumValue("beta_schedule", BetaSchedule.class),
                r.intIn("train_timesteps", 2, MAX_TRAIN_TIMESTEPS));
    }
}
