package org.minidiffusion.sd3;

import java.util.ArrayList;
import java.util.List;
import org.minidiffusion.core.api.Rng;
import org.minidiffusion.diffusion.flow.FlowSchedule;
import org.minidiffusion.dit.SD3Transformer2DModel;
import org.minidiffusion.dit.SD3Transformer2DModelConfig;
import org.minidiffusion.text.BpeTrainer;
import org.minidiffusion.text.ClipTokenizer;
import org.minidiffusion.text.Unigram;
import org.minidiffusion.text.UnigramTrainer;
import org.minidiffusion.text.caption.Captioner;
import org.minidiffusion.text.caption.Split;
import org.minidiffusion.text.caption.Tone;
import org.minidiffusion.transformer.clip.ClipTextConfig;
import org.minidiffusion.transformer.clip.ClipTextModel;
import org.minidiffusion.transformer.t5.T5Config;
import org.minidiffusion.transformer.t5.T5EncoderModel;
import org.minidiffusion.vae.AutoencoderKL;
import org.minidiffusion.vae.AutoencoderKLConfig;

/**
 * Tiny random text-to-image parts for tests: tokenizers trained on a few captions, a two-block
 * CLIP (width 8) and T5 (width 12), a one-block MMDiT on 4x8x8 latents, and a two-level VAE for
 * 32x32 images. Models are built on the current backend, so call these inside {@code Backend.call}.
 */
final class Tiny {
    /** CLIP's and T5's context lengths. */
    static final int CLIP_LENGTH = 10;
    static final int T5_LENGTH = 8;
    static final int CLIP_WIDTH = 8;
    static final int T5_WIDTH = 12;
    static final int POOLED = 6;

    static final List<String> CORPUS = corpus();
    static final ClipTokenizer CLIP_TOKENIZER = BpeTrainer.trainClip(CORPUS, 600, 2);
    static final Unigram T5_TOKENIZER = UnigramTrainer.train(CORPUS, 100);

    private Tiny() {
    }

    private static List<String> corpus() {
        List<String> lines = new ArrayList<>();
        for (int label = 0; label < 10; label++) {
            for (Tone tone : Tone.values()) {
                List<String> all = Captioner.captions(label, tone, Split.TRAINING);
                for (int i = 0; i < all.size(); i += Math.max(1, all.size() / 4)) {
                    lines.add(all.get(i));
                }
            }
        }
        return List.copyOf(lines);
    }

    static ClipTextModel clip(int width, long seed) {
        ClipTextConfig config = new ClipTextConfig(CLIP_TOKENIZER.vocabSize(), width, 2 * width, 2, 2, 16, "quick_gelu",
                1e-5f, POOLED, CLIP_TOKENIZER.endId());
        return new ClipTextModel(config, true, new Rng(seed)).initialiseForTraining(new Rng(seed + 1));
    }

    static T5EncoderModel t5(int width, long seed) {
        T5Config config = new T5Config(T5_TOKENIZER.vocabSize(), width, 4, 2 * width, 2, 2, 8, 16, 1e-6f,
                T5Config.GATED_GELU);
        return new T5EncoderModel(config, new Rng(seed)).initialiseForTraining(new Rng(seed + 1));
    }

    static PromptEncoder encoder(int clipWidth, int t5Width, long seed) {
        return new PromptEncoder(CLIP_TOKENIZER, clip(clipWidth, seed), CLIP_LENGTH, T5_TOKENIZER, t5(t5Width, seed + 10),
                T5_LENGTH);
    }

    static PromptEncoder encoder(long seed) {
        return encoder(CLIP_WIDTH, T5_WIDTH, seed);
    }

    static SD3Transformer2DModel transformer(int jointAttentionDim, long seed) {
        // sample 8, patch 2, 4 channels, 2 blocks, 2 heads of 8, pos_embed_max_size 8
        SD3Transformer2DModelConfig config = new SD3Transformer2DModelConfig(8, 2, 4, 2, 8, 2, jointAttentionDim, 16,
                POOLED, 4, 8, null);
        return new SD3Transformer2DModel(config, new Rng(seed));
    }

    static AutoencoderKL vae(long seed) {
        AutoencoderKLConfig config = AutoencoderKLConfig.of(1, new int[] {8, 8, 8}, 1, 4, 4, 32)
                .withLatentScaling(1.7f, 0.1f);
        return new AutoencoderKL(config, new Rng(seed));
    }

    /** A whole random pipeline: shift 3 as SD3, 1000 training timesteps, a 28x28 crop of 32x32. */
    static TextToImagePipeline pipeline(long seed) {
        PromptEncoder encoder = encoder(seed);
        return new TextToImagePipeline(encoder, transformer(encoder.jointAttentionDim(), seed + 20), vae(seed + 30),
                new FlowSchedule(1000, 3.0), 28);
    }
}
