package org.minidiffusion.vae;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The settings of a training run of the autoencoder.
 *
 * @param steps        optimiser steps in all
 * @param batchSize    images per step
 * @param learningRate the peak learning rate of AdamW
 * @param warmupSteps  steps of linear warm-up before the cosine decay
 * @param weightDecay  AdamW's decoupled weight decay
 * @param gradClip     the largest global gradient norm; 0 disables clipping
 * @param beta         the weight of the KL term (see {@link VaeObjective})
 * @param seed         seeds the data order and the reparameterisation noise
 */
public record VaeTrainConfig(int steps, int batchSize, float learningRate, int warmupSteps, float weightDecay,
                             float gradClip, float beta, long seed) {
    /** The largest batch accepted. */
    public static final int MAX_BATCH_SIZE = 1 << 16;
    /** The largest learning rate accepted. */
    public static final float MAX_LEARNING_RATE = 1f;
    /** The largest weight decay accepted. */
    public static final float MAX_WEIGHT_DECAY = 1f;
    /** The largest gradient-clipping norm accepted. */
    public static final float MAX_GRAD_CLIP = 1e6f;

    private static final String PREFIX = "vae_train.";

    /**
     * Validates the settings.
     *
     * @throws IllegalArgumentException naming the first setting out of range, with its value
     */
    public VaeTrainConfig {
        check("steps", steps, steps >= 1, "must be at least 1");
        check("batchSize", batchSize, batchSize >= 1 && batchSize <= MAX_BATCH_SIZE,
                "must be in [1, " + MAX_BATCH_SIZE + "]");
        check("learningRate", learningRate, learningRate > 0f && learningRate <= MAX_LEARNING_RATE,
                "must be a finite number in (0, " + MAX_LEARNING_RATE + "]");
        check("warmupSteps", warmupSteps, warmupSteps >= 0 && warmupSteps <= steps, "must be in [0, steps = " + steps + "]");
        check("weightDecay", weightDecay, weightDecay >= 0f && weightDecay <= MAX_WEIGHT_DECAY,
                "must be a finite number in [0, " + MAX_WEIGHT_DECAY + "]");
        check("gradClip", gradClip, gradClip >= 0f && gradClip <= MAX_GRAD_CLIP,
                "must be a finite number in [0, " + MAX_GRAD_CLIP + "] (0 disables clipping)");
        check("beta", beta, beta >= 0f && beta <= VaeObjective.MAX_BETA,
                "must be a finite number in [0, " + VaeObjective.MAX_BETA + "]");
    }

    /**
     * Returns the settings used when only the length, batch, rate, KL weight and seed are chosen:
     * warm-up over a tenth of the run (at most 200 steps), no weight decay, clipping at norm 1.
     *
     * @param steps        optimiser steps
     * @param batchSize    images per step
     * @param learningRate the peak learning rate
     * @param beta         the KL weight
     * @param seed         the seed
     * @return the config
     */
    public static VaeTrainConfig of(int steps, int batchSize, float learningRate, float beta, long seed) {
        return new VaeTrainConfig(steps, batchSize, learningRate, Math.min(200, steps / 10), 0f, 1f, beta, seed);
    }

    /**
     * Returns a copy with another number of steps, for continuing a run beyond its plan; the
     * warm-up stays (cut to the new length if longer).
     *
     * @param newSteps the new total
     * @return the config
     */
    public VaeTrainConfig withSteps(int newSteps) {
        return new VaeTrainConfig(newSteps, batchSize, learningRate, Math.min(warmupSteps, newSteps), weightDecay,
                gradClip, beta, seed);
    }

    private static void check(String name, double value, boolean ok, String rule) {
        if (!ok) {
            throw new IllegalArgumentException("VaeTrainConfig: " + name + " " + rule + ", got " + value);
        }
    }

    /**
     * Returns the settings as string pairs, for checkpoint metadata; floats are written in their
     * shortest exact form, so {@link #fromMetadata} reads back the same values.
     *
     * @return an ordered map with keys prefixed {@code vae_train.}
     */
    public Map<String, String> toMetadata() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put(PREFIX + "steps", Integer.toString(steps));
        m.put(PREFIX + "batch_size", Integer.toString(batchSize));
        m.put(PREFIX + "learning_rate", Float.toString(learningRate));
        m.put(PREFIX + "warmup_steps", Integer.toString(warmupSteps));
        m.put(PREFIX + "weight_decay", Float.toString(weightDecay));
        m.put(PREFIX + "grad_clip", Float.toString(gradClip));
        m.put(PREFIX + "beta", Float.toString(beta));
        m.put(PREFIX + "seed", Long.toString(seed));
        return m;
    }

    /**
     * Reads settings written by {@link #toMetadata()}, checking each against its range.
     *
     * @param m      the metadata
     * @param source where it comes from, for messages (usually the file)
     * @return the config
     * @throws InvalidTrainingStateException naming the source and a missing, malformed or out-of-range key
     */
    public static VaeTrainConfig fromMetadata(Map<String, String> m, String source) {
        int steps = (int) integer(m, source, "steps", 1, Integer.MAX_VALUE);
        int batch = (int) integer(m, source, "batch_size", 1, MAX_BATCH_SIZE);
        float lr = number(m, source, "learning_rate", 0f, MAX_LEARNING_RATE);
        if (lr == 0f) {
            throw new InvalidTrainingStateException(source, PREFIX + "learning_rate", m.get(PREFIX + "learning_rate"),
                    "must be a finite number in (0, " + MAX_LEARNING_RATE + "]");
        }
        return new VaeTrainConfig(steps, batch, lr,
                (int) integer(m, source, "warmup_steps", 0, steps),
                number(m, source, "weight_decay", 0f, MAX_WEIGHT_DECAY),
                number(m, source, "grad_clip", 0f, MAX_GRAD_CLIP),
                number(m, source, "beta", 0f, VaeObjective.MAX_BETA),
                integer(m, source, "seed", Long.MIN_VALUE, Long.MAX_VALUE));
    }

    private static String value(Map<String, String> m, String source, String key) {
        String v = m.get(PREFIX + key);
        if (v == null) {
            throw new InvalidTrainingStateException(source, PREFIX + key, null, "the key is missing");
        }
        return v.trim();
    }

    static long integer(Map<String, String> m, String source, String key, long min, long max) {
        String v = value(m, source, key);
        try {
            long n = Long.parseLong(v);
            if (n >= min && n <= max) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new InvalidTrainingStateException(source, PREFIX + key, v, "must be an integer in [" + min + ", " + max + "]");
    }

    private static float number(Map<String, String> m, String source, String key, float min, float max) {
        String v = value(m, source, key);
        try {
            float f = Float.parseFloat(v);
            if (f >= min && f <= max) {
                return f;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new InvalidTrainingStateException(source, PREFIX + key, v, "must be a finite number in [" + min + ", "
                + max + "]");
    }
}
