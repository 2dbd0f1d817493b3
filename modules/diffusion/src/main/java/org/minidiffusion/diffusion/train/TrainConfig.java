package org.minidiffusion.diffusion.train;

import java.util.LinkedHashMap;
import java.util.Map;
import org.minidiffusion.diffusion.BetaSchedule;
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

    /** Validates the settings. */
    public TrainConfig {
        if (steps <= 0 || batchSize <= 0 || !(learningRate > 0f) || warmupSteps < 0 || warmupSteps > steps
                || weightDecay < 0f || gradClip < 0f || !(emaDecay >= 0f && emaDecay < 1f)
                || !(classDropout >= 0f && classDropout < 1f) || trainTimesteps <= 1) {
            throw new IllegalArgumentException("TrainConfig: invalid settings " + describe(steps, batchSize,
                    learningRate, warmupSteps, weightDecay, gradClip, emaDecay, classDropout, trainTimesteps));
        }
        if (prediction == null || betaSchedule == null) {
            throw new IllegalArgumentException("TrainConfig: prediction and betaSchedule must be set");
        }
    }

    private static String describe(int steps, int batch, float lr, int warmup, float wd, float clip, float ema,
                                   float drop, int timesteps) {
        return "steps=" + steps + " batch=" + batch + " lr=" + lr + " warmup=" + warmup + " weightDecay=" + wd
                + " gradClip=" + clip + " ema=" + ema + " classDropout=" + drop + " T=" + timesteps;
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
     * @throws IllegalArgumentException naming a missing or malformed key
     */
    public static TrainConfig fromMetadata(Map<String, String> m) {
        try {
            return new TrainConfig(Integer.parseInt(get(m, "train.steps")), Integer.parseInt(get(m, "train.batch_size")),
                    Float.parseFloat(get(m, "train.learning_rate")), Integer.parseInt(get(m, "train.warmup_steps")),
                    Float.parseFloat(get(m, "train.weight_decay")), Float.parseFloat(get(m, "train.grad_clip")),
                    Float.parseFloat(get(m, "train.ema_decay")), Float.parseFloat(get(m, "train.class_dropout")),
                    Long.parseLong(get(m, "train.seed")),
                    PredictionType.valueOf(get(m, "prediction_type").toUpperCase(java.util.Locale.ROOT)),
                    BetaSchedule.valueOf(get(m, "beta_schedule").toUpperCase(java.util.Locale.ROOT)),
                    Integer.parseInt(get(m, "train_timesteps")));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("TrainConfig: malformed number in checkpoint metadata: " + e.getMessage(), e);
        }
    }

    private static String get(Map<String, String> m, String key) {
        String v = m.get(key);
        if (v == null) {
            throw new IllegalArgumentException("TrainConfig: checkpoint metadata lacks the key '" + key + "'");
        }
        return v.trim();
    }
}
