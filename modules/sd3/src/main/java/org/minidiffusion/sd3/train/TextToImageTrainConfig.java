package org.minidiffusion.sd3.train;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The settings of a text-to-image training run ({@link TextToImageTrainer}): the optimisation, the
 * flow-matching time distribution, and the architectures of the MMDiT and the T5 encoder trained
 * with it (the CLIP text encoder and the autoencoder are frozen and come from their own runs).
 *
 * @param steps         optimiser steps in all
 * @param batchSize     images per step
 * @param learningRate  the peak learning rate of AdamW (Loshchilov and Hutter 2019), reached after
 *                      the warm-up, then cosine decay to a twentieth of it
 * @param warmupSteps   steps of linear warm-up
 * @param weightDecay   AdamW's decoupled weight decay
 * @param gradClip      the largest global gradient norm; 0 disables clipping
 * @param emaDecay      the decay of the EMA weights of the MMDiT and T5, which the pipeline samples with
 * @param promptDropout the probability of replacing a caption by the empty prompt, so the model also
 *                      learns the unconditional velocity that guidance needs
 * @param logitMean     {@code m} of the logit-normal time distribution (Esser et al. 2024, eq. 19)
 * @param logitStd      {@code s} of the logit-normal time distribution, positive
 * @param seed          seeds the weights, the data order, the captions, the latent draws, times and noise
 * @param mmdit         the MMDiT's architecture
 * @param t5            the T5 encoder's architecture
 * @param clipLength    CLIP's token length (its context)
 * @param t5Length      T5's token length, end token included
 */
public record TextToImageTrainConfig(int steps, int batchSize, float learningRate, int warmupSteps, float weightDecay,
                                     float gradClip, float emaDecay, double promptDropout, double logitMean,
                                     double logitStd, long seed, Mmdit mmdit, T5 t5, int clipLength, int t5Length) {
    /** The largest batch accepted. */
    public static final int MAX_BATCH_SIZE = 1 << 16;
    /** The largest learning rate accepted. */
    public static final float MAX_LEARNING_RATE = 1f;
    /** The largest weight decay accepted. */
    public static final float MAX_WEIGHT_DECAY = 1f;
    /** The largest gradient-clipping norm accepted. */
    public static final float MAX_GRAD_CLIP = 1e6f;
    /** The largest token length accepted for either encoder. */
    public static final int MAX_LENGTH = 512;
    /** The largest layer count, head count, head size, width or vocabulary accepted. */
    public static final int MAX_SIZE = 1 << 20;
    /** The prefix of every metadata key. */
    public static final String PREFIX = "t2i_train.";
    /** The only query-key normalisation supported besides none (SD3.5's). */
    public static final String RMS_NORM = "rms_norm";

    /**
     * The MMDiT's architecture; the rest of its {@code config.json} (sample size, latent channels,
     * joint attention and pooled sizes) follows from the autoencoder and the text encoders.
     *
     * @param layers   {@code num_layers}: joint blocks
     * @param heads    {@code num_attention_heads}
     * @param headDim  {@code attention_head_dim}; the width is {@code heads · headDim}
     * @param patch    {@code patch_size}
     * @param qkNorm   {@code qk_norm}: null or {@value #RMS_NORM}
     */
    public record Mmdit(int layers, int heads, int headDim, int patch, String qkNorm) {
        /** Validates the values, naming the key at fault. */
        public Mmdit {
            check("mmdit.num_layers", layers, layers >= 1 && layers <= MAX_SIZE, "must be in [1, " + MAX_SIZE + "]");
            check("mmdit.num_attention_heads", heads, heads >= 1 && heads <= MAX_SIZE, "must be in [1, " + MAX_SIZE + "]");
            check("mmdit.attention_head_dim", headDim, headDim >= 1 && headDim <= MAX_SIZE,
                    "must be in [1, " + MAX_SIZE + "]");
            check("mmdit.patch_size", patch, patch >= 1 && patch <= 64, "must be in [1, 64]");
            check("mmdit.width", (long) heads * headDim, (long) heads * headDim % 4 == 0 && (long) heads * headDim <= MAX_SIZE,
                    "(num_attention_heads x attention_head_dim) must be a multiple of 4 for the 2-D position table");
            if (qkNorm != null && !qkNorm.equals(RMS_NORM)) {
                throw new IllegalArgumentException("TextToImageTrainConfig: mmdit.qk_norm must be none or \"" + RMS_NORM
                        + "\", got \"" + qkNorm + "\"");
            }
        }

        /**
         * Returns the width, {@code heads · headDim}.
         *
         * @return the MMDiT's inner dimension
         */
        public int width() {
            return heads * headDim;
        }
    }

    /**
     * The T5 encoder's architecture (T5 v1.1: gated-GELU feed-forward, relative position buckets).
     *
     * @param layers    {@code num_layers}
     * @param dModel    {@code d_model}
     * @param heads     {@code num_heads}; {@code d_kv = d_model / num_heads}
     * @param dFf       {@code d_ff}
     * @param vocabSize {@code vocab_size}, the tokenizer's
     */
    public record T5(int layers, int dModel, int heads, int dFf, int vocabSize) {
        /** Validates the values, naming the key at fault. */
        public T5 {
            check("t5.num_layers", layers, layers >= 1 && layers <= MAX_SIZE, "must be in [1, " + MAX_SIZE + "]");
            check("t5.d_model", dModel, dModel >= 1 && dModel <= MAX_SIZE, "must be in [1, " + MAX_SIZE + "]");
            check("t5.num_heads", heads, heads >= 1 && heads <= MAX_SIZE, "must be in [1, " + MAX_SIZE + "]");
            check("t5.d_ff", dFf, dFf >= 1 && dFf <= MAX_SIZE, "must be in [1, " + MAX_SIZE + "]");
            check("t5.vocab_size", vocabSize, vocabSize >= 3 && vocabSize <= MAX_SIZE, "must be in [3, " + MAX_SIZE + "]");
            check("t5.d_model", dModel, dModel % heads == 0, "must be divisible by t5.num_heads = " + heads);
        }
    }

    /**
     * Validates the settings.
     *
     * @throws IllegalArgumentException naming the first setting out of range, with its value
     */
    public TextToImageTrainConfig {
        Objects.requireNonNull(mmdit, "mmdit");
        Objects.requireNonNull(t5, "t5");
        check("steps", steps, steps >= 1, "must be at least 1");
        check("batch_size", batchSize, batchSize >= 1 && batchSize <= MAX_BATCH_SIZE, "must be in [1, " + MAX_BATCH_SIZE + "]");
        check("learning_rate", learningRate, learningRate > 0f && learningRate <= MAX_LEARNING_RATE,
                "must be a finite number in (0, " + MAX_LEARNING_RATE + "]");
        check("warmup_steps", warmupSteps, warmupSteps >= 0 && warmupSteps <= steps, "must be in [0, steps = " + steps + "]");
        check("weight_decay", weightDecay, weightDecay >= 0f && weightDecay <= MAX_WEIGHT_DECAY,
                "must be a finite number in [0, " + MAX_WEIGHT_DECAY + "]");
        check("grad_clip", gradClip, gradClip >= 0f && gradClip <= MAX_GRAD_CLIP,
                "must be a finite number in [0, " + MAX_GRAD_CLIP + "] (0 disables clipping)");
        check("ema_decay", emaDecay, emaDecay >= 0f && emaDecay < 1f, "must be a finite number in [0, 1)");
        check("prompt_dropout", promptDropout, promptDropout >= 0 && promptDropout < 1,
                "must be a finite number in [0, 1)");
        check("logit_normal_m", logitMean, Double.isFinite(logitMean) && Math.abs(logitMean) <= 10,
                "must be a finite number in [-10, 10]");
        check("logit_normal_s", logitStd, logitStd > 0 && logitStd <= 10, "must be a finite number in (0, 10]");
        check("clip_length", clipLength, clipLength >= 3 && clipLength <= MAX_LENGTH, "must be in [3, " + MAX_LENGTH + "]");
        check("t5_length", t5Length, t5Length >= 2 && t5Length <= MAX_LENGTH, "must be in [2, " + MAX_LENGTH + "]");
    }

    /** NaN fails every range check, since comparisons with it are false. */
    private static void check(String key, double value, boolean ok, String rule) {
        if (!ok) {
            throw new IllegalArgumentException("TextToImageTrainConfig: " + key + " " + rule + ", got "
                    + (value == Math.rint(value) && Math.abs(value) < 1e15 ? Long.toString((long) value) : Double.toString(value)));
        }
    }

    /**
     * Returns the settings that only the length, batch, rate, seed and architectures choose: warm-up
     * over a twentieth of the run (at most 200 steps), weight decay 0.01, clipping at norm 1, EMA
     * decay 0.999, prompt dropout 0.1, SD3's logit-normal {@code m = 0, s = 1} (Esser et al. 2024,
     * section 3.1), and 16 tokens for each encoder.
     *
     * @param steps        optimiser steps
     * @param batchSize    images per step
     * @param learningRate the peak learning rate
     * @param seed         the seed
     * @param mmdit        the MMDiT's architecture
     * @param t5           the T5 encoder's architecture
     * @return the settings
     */
    public static TextToImageTrainConfig of(int steps, int batchSize, float learningRate, long seed, Mmdit mmdit, T5 t5) {
        return new TextToImageTrainConfig(steps, batchSize, learningRate, Math.min(200, steps / 20), 0.01f, 1f, 0.999f,
                PromptDropout.DEFAULT_PROBABILITY, 0.0, 1.0, seed, mmdit, t5, 16, 16);
    }

    /**
     * Returns a copy with another number of steps, for continuing a run beyond its plan; the warm-up
     * stays (cut to the new length if longer).
     *
     * @param newSteps the new total
     * @return the settings
     */
    public TextToImageTrainConfig withSteps(int newSteps) {
        return new TextToImageTrainConfig(newSteps, batchSize, learningRate, Math.min(warmupSteps, newSteps), weightDecay,
                gradClip, emaDecay, promptDropout, logitMean, logitStd, seed, mmdit, t5, clipLength, t5Length);
    }

    /**
     * Returns a copy with other sequence lengths, such as the CLIP encoder's context.
     *
     * @param clip CLIP's token length
     * @param t5   T5's token length
     * @return the settings
     */
    public TextToImageTrainConfig withLengths(int clip, int t5) {
        return new TextToImageTrainConfig(steps, batchSize, learningRate, warmupSteps, weightDecay, gradClip, emaDecay,
                promptDropout, logitMean, logitStd, seed, mmdit, this.t5, clip, t5);
    }

    /**
     * Returns the settings as string pairs, for checkpoint metadata; floats are written in their
     * shortest exact form, so {@link #fromMetadata} reads back the same values.
     *
     * @return an ordered map with keys prefixed {@value #PREFIX}
     */
    public Map<String, String> toMetadata() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put(PREFIX + "steps", Integer.toString(steps));
        m.put(PREFIX + "batch_size", Integer.toString(batchSize));
        m.put(PREFIX + "learning_rate", Float.toString(learningRate));
        m.put(PREFIX + "warmup_steps", Integer.toString(warmupSteps));
        m.put(PREFIX + "weight_decay", Float.toString(weightDecay));
        m.put(PREFIX + "grad_clip", Float.toString(gradClip));
        m.put(PREFIX + "ema_decay", Float.toString(emaDecay));
        m.put(PREFIX + "prompt_dropout", Double.toString(promptDropout));
        m.put(PREFIX + "logit_normal_m", Double.toString(logitMean));
        m.put(PREFIX + "logit_normal_s", Double.toString(logitStd));
        m.put(PREFIX + "seed", Long.toString(seed));
        m.put(PREFIX + "mmdit.num_layers", Integer.toString(mmdit.layers()));
        m.put(PREFIX + "mmdit.num_attention_heads", Integer.toString(mmdit.heads()));
        m.put(PREFIX + "mmdit.attention_head_dim", Integer.toString(mmdit.headDim()));
        m.put(PREFIX + "mmdit.patch_size", Integer.toString(mmdit.patch()));
        m.put(PREFIX + "mmdit.qk_norm", mmdit.qkNorm() == null ? "none" : mmdit.qkNorm());
        m.put(PREFIX + "t5.num_layers", Integer.toString(t5.layers()));
        m.put(PREFIX + "t5.d_model", Integer.toString(t5.dModel()));
        m.put(PREFIX + "t5.num_heads", Integer.toString(t5.heads()));
        m.put(PREFIX + "t5.d_ff", Integer.toString(t5.dFf()));
        m.put(PREFIX + "t5.vocab_size", Integer.toString(t5.vocabSize()));
        m.put(PREFIX + "clip_length", Integer.toString(clipLength));
        m.put(PREFIX + "t5_length", Integer.toString(t5Length));
        return m;
    }

    /**
     * Reads settings written by {@link #toMetadata()}, checking each against its range.
     *
     * @param m      the metadata
     * @param source where it comes from, for messages (usually the file)
     * @return the settings
     * @throws IllegalArgumentException naming the source, the key and the value that is missing,
     *                                  malformed or out of range
     */
    public static TextToImageTrainConfig fromMetadata(Map<String, String> m, String source) {
        Reader r = new Reader(m, source);
        int steps = (int) r.integer("steps", 1, Integer.MAX_VALUE);
        String qk = r.text("mmdit.qk_norm");
        if (!qk.equals("none") && !qk.equals(RMS_NORM)) {
            throw r.invalid("mmdit.qk_norm", qk, "must be 'none' or '" + RMS_NORM + "'");
        }
        try {
            Mmdit mmdit = new Mmdit((int) r.integer("mmdit.num_layers", 1, MAX_SIZE),
                    (int) r.integer("mmdit.num_attention_heads", 1, MAX_SIZE),
                    (int) r.integer("mmdit.attention_head_dim", 1, MAX_SIZE), (int) r.integer("mmdit.patch_size", 1, 64),
                    qk.equals("none") ? null : qk);
            T5 t5 = new T5((int) r.integer("t5.num_layers", 1, MAX_SIZE), (int) r.integer("t5.d_model", 1, MAX_SIZE),
                    (int) r.integer("t5.num_heads", 1, MAX_SIZE), (int) r.integer("t5.d_ff", 1, MAX_SIZE),
                    (int) r.integer("t5.vocab_size", 3, MAX_SIZE));
            return new TextToImageTrainConfig(steps,
                    (int) r.integer("batch_size", 1, MAX_BATCH_SIZE),
                    (float) r.real("learning_rate", Double.MIN_VALUE, MAX_LEARNING_RATE, "(0, " + MAX_LEARNING_RATE + "]"),
                    (int) r.integer("warmup_steps", 0, steps),
                    (float) r.real("weight_decay", 0, MAX_WEIGHT_DECAY, "[0, " + MAX_WEIGHT_DECAY + "]"),
                    (float) r.real("grad_clip", 0, MAX_GRAD_CLIP, "[0, " + MAX_GRAD_CLIP + "]"),
                    (float) r.real("ema_decay", 0, Math.nextDown(1f), "[0, 1)"),
                    r.real("prompt_dropout", 0, Math.nextDown(1.0), "[0, 1)"),
                    r.real("logit_normal_m", -10, 10, "[-10, 10]"),
                    r.real("logit_normal_s", Double.MIN_VALUE, 10, "(0, 10]"),
                    r.integer("seed", Long.MIN_VALUE, Long.MAX_VALUE),
                    mmdit, t5,
                    (int) r.integer("clip_length", 3, MAX_LENGTH),
                    (int) r.integer("t5_length", 2, MAX_LENGTH));
        } catch (IllegalArgumentException e) {
            if (e.getMessage().startsWith(source + ":")) {
                throw e;
            }
            throw new IllegalArgumentException(source + ": " + e.getMessage(), e);
        }
    }

    /** Reads keys under {@value #PREFIX}, each error naming the source, the key and the value. */
    private record Reader(Map<String, String> m, String source) {
        String text(String key) {
            String v = m.get(PREFIX + key);
            if (v == null) {
                throw new IllegalArgumentException(source + ": the metadata key '" + PREFIX + key + "' is missing");
            }
            return v.trim();
        }

        IllegalArgumentException invalid(String key, String value, String rule) {
            return new IllegalArgumentException(source + ": the metadata key '" + PREFIX + key + "' is '" + value
                    + "'; it " + rule);
        }

        long integer(String key, long min, long max) {
            String v = text(key);
            try {
                long n = Long.parseLong(v);
                if (n >= min && n <= max) {
                    return n;
                }
            } catch (NumberFormatException e) {
                // reported below
            }
            throw invalid(key, v, "must be an integer in [" + min + ", " + max + "]");
        }

        double real(String key, double min, double max, String range) {
            String v = text(key);
            try {
                double d = Double.parseDouble(v);
                if (d >= min && d <= max) {
                    return d;
                }
            } catch (NumberFormatException e) {
                // reported below
            }
            throw invalid(key, v, "must be a finite number in " + range);
        }
    }
}
