package org.minidiffusion.sd3.train;

import java.util.ArrayList;
import java.util.List;
import org.minidiffusion.core.api.Rng;
import org.minidiffusion.text.BpeTrainer;
import org.minidiffusion.text.ClipTokenizer;
import org.minidiffusion.text.Unigram;
import org.minidiffusion.text.UnigramTrainer;
import org.minidiffusion.text.caption.Captioner;
import org.minidiffusion.text.caption.Split;
import org.minidiffusion.text.caption.Tone;
import org.minidiffusion.transformer.clip.ClipTextConfig;
import org.minidiffusion.transformer.clip.ClipTextModel;

/** Tiny frozen parts for trainer tests: tokenizers trained on the training captions, a small CLIP, latents. */
final class TinyT2i {
    /** The classes of the tiny data. */
    static final int[] LABELS = {1, 5, 7, 9};
    /** Their tones. */
    static final Tone[] TONES = {Tone.DARK, Tone.LIGHT, Tone.NONE, Tone.DARK};

    final ClipTokenizer clipTokenizer;
    final Unigram t5Tokenizer;
    final ClipTextModel clip;

    TinyT2i() {
        List<String> corpus = new ArrayList<>();
        for (int label = 0; label < 10; label++) {
            for (Tone t : Tone.values()) {
                corpus.addAll(Captioner.captions(label, t, Split.TRAINING));
            }
        }
        clipTokenizer = BpeTrainer.trainClip(corpus, 600, 2);
        t5Tokenizer = UnigramTrainer.train(corpus, 96);
        ClipTextConfig config = new ClipTextConfig(clipTokenizer.vocabSize(), 16, 32, 1, 2, 12, "quick_gelu", 1e-5f, 8,
                clipTokenizer.endId());
        Rng rng = new Rng(21);
        clip = new ClipTextModel(config, true, rng).initialiseForTraining(rng);
    }

    /** A micro MMDiT (2 blocks of width 32, patch 2) and T5 (1 layer of width 24). */
    TextToImageTrainConfig config(int steps, float lr, double dropout, long seed) {
        return new TextToImageTrainConfig(steps, 4, lr, Math.min(5, steps), 0f, 1f, 0.9f, dropout, 0.0, 1.0, seed,
                new TextToImageTrainConfig.Mmdit(2, 2, 16, 2, TextToImageTrainConfig.RMS_NORM),
                new TextToImageTrainConfig.T5(1, 24, 2, 48, t5Tokenizer.vocabSize()), 12, 10);
    }

    /** Four 4x4x4 latents with fixed means (standard deviations 0.05), scaled by (z - 0.1) * 2. */
    static LatentDataset latents(float magnitude) {
        int per = 4 * 4 * 4;
        float[] means = new float[LABELS.length * per];
        float[] stds = new float[means.length];
        Rng rng = new Rng(77);
        for (int i = 0; i < means.length; i++) {
            means[i] = magnitude * (float) rng.nextGaussian() * 0.5f + 0.1f;
            stds[i] = 0.05f;
        }
        return new LatentDataset(4, 4, means, stds, LABELS.clone(), TONES.clone(), 0.1f, 2f);
    }
}
