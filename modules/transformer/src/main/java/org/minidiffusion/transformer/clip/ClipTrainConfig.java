package org.minidiffusion.transformer.clip;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The settings of a contrastive training run ({@link ClipTrainer}).
 *
 * @param steps         the optimiser steps of the whole run
 * @param batchSize     pairs per step, at least 2 (the other pairs of a batch are the negatives)
 * @param learningRate  the peak learning rate of AdamW, reached after the warm-up, then cosine decay
 *                      to a twentieth of it
 * @param warmupSteps   steps of linear warm-up
 * @param weightDecay   AdamW's decoupled weight decay of the matrices (weights of rank 2 and more);
 *                      biases, norms and the temperature are not decayed, as in OpenCLIP
 * @param seed          the seed of the data order
 */
public record ClipTrainConfig(int steps, int batchSize, float learningRate, int warmupSteps, float weightDecay,
        long seed) {

    /** Validates the values. */
    public ClipTrainConfig {
        if (steps < 1) {
            throw new IllegalArgumentException("CLIP training: steps must be at least 1, got " + steps);
        }
        if (batchSize < 2) {
            throw new IllegalArgumentException("CLIP training: the batch size must be at least 2 (the other pairs"
                    + " are the negatives), got " + batchSize);
        }
        if (!(learningRate > 0) || !Float.isFinite(learningRate)) {
            throw new IllegalArgumentException("CLIP training: the learning rate must be positive, got " + learningRate);
        }
        if (warmupSteps < 0 || warmupSteps > steps) {
            throw new IllegalArgumentException("CLIP training: warm-up steps must be in [0, steps " + steps + "], got "
                    + warmupSteps);
        }
        if (!(weightDecay >= 0) || !Float.isFinite(weightDecay)) {
            throw new IllegalArgumentException("CLIP training: weight decay must be >= 0, got " + weightDecay);
        }
    }

    /**
     * Returns the settings with another number of steps, for a resumed run.
     *
     * @param newSteps the steps of the whole run, at least the warm-up
     * @return the new settings
     */
    public ClipTrainConfig withSteps(int newSteps) {
        return new ClipTrainConfig(newSteps, batchSize, learningRate, Math.min(warmupSteps, newSteps), weightDecay, seed);
    }

    /**
     * Returns the settings as checkpoint metadata.
     *
     * @return keys {@code train.*}
     */
    public Map<String, String> toMetadata() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("train.steps", Integer.toString(steps));
        m.put("train.batch_size", Integer.toString(batchSize));
        m.put("train.learning_rate", Float.toString(learningRate));
        m.put("train.warmup_steps", Integer.toString(warmupSteps));
        m.put("train.weight_decay", Float.toString(weightDecay));
        m.put("train.seed", Long.toString(seed));
        return m;
    }

    /**
     * Reads settings written by {@link #toMetadata}.
     *
     * @param meta   the metadata
     * @param source where it was read, named in errors
     * @return the settings
     * @throws IllegalArgumentException naming the source, the key and the value if one is missing or invalid
     */
    public static ClipTrainConfig fromMetadata(Map<String, String> meta, String source) {
        int steps = (int) number(meta, source, "train.steps", 1, Integer.MAX_VALUE);
        int batch = (int) number(meta, source, "train.batch_size", 2, 1 << 20);
        float lr = real(meta, source, "train.learning_rate");
        int warmup = (int) number(meta, source, "train.warmup_steps", 0, steps);
        float decay = real(meta, source, "train.weight_decay");
        long seed = number(meta, source, "train.seed", Long.MIN_VALUE, Long.MAX_VALUE);
        try {
            return new ClipTrainConfig(steps, batch, lr, warmup, decay, seed);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(source + ": " + e.getMessage(), e);
        }
    }

    static String text(Map<String, String> meta, String source, String key) {
        String v = meta.get(key);
        if (v == null) {
            throw new IllegalArgumentException(source + ": the metadata key '" + key + "' is missing");
        }
        return v;
    }

    static long number(Map<String, String> meta, String source, String key, long min, long max) {
        String v = text(meta, source, key);
        long n;
        try {
            n = Long.parseLong(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(source + ": the metadata key '" + key + "' is '" + v
                    + "', not a whole number", e);
        }
        if (n < min || n > max) {
            throw new IllegalArgumentException(source + ": the metadata key '" + key + "' is " + n + ", outside ["
                    + min + ", " + max + "]");
        }
        return n;
    }

    private static float real(Map<String, String> meta, String source, String key) {
        String v = text(meta, source, key);
        try {
            return Float.parseFloat(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(source + ": the metadata key '" + key + "' is '" + v + "', not a number", e);
        }
    }
}
