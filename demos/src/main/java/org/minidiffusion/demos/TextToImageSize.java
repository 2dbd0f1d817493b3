package org.minidiffusion.demos;

import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;
import org.minidiffusion.sd3.train.TextToImageTrainConfig;

/**
 * The text-to-image model sizes that {@code train-t2i} offers, by name ({@code --size small}): the
 * MMDiT's blocks, heads of 32 values and patch size, and the T5 encoder trained with it. Every size
 * normalises queries and keys with RMSNorm (SD3.5's {@code qk_norm}), which keeps attention logits
 * bounded when training from scratch at a high learning rate (Esser et al. 2024, section 5.3.3).
 */
enum TextToImageSize {
    /** One block of width 32 and a one-layer T5 of width 32; for tests and smoke runs. */
    MICRO(new TextToImageTrainConfig.Mmdit(1, 2, 16, 2, TextToImageTrainConfig.RMS_NORM), 1, 32, 2, 64),
    /**
     * Four blocks of width 128 (4 heads), patch 2 (16 image tokens); T5 with 2 layers of width 128:
     * 2.6M trained parameters (with a 143-piece tokenizer), 0.49 to 0.54 s per step of 64 images on
     * two idle cores; the pipeline directory is 17 MB.
     */
    SMALL(new TextToImageTrainConfig.Mmdit(4, 4, 32, 2, TextToImageTrainConfig.RMS_NORM), 2, 128, 4, 256),
    /**
     * Six blocks of width 192 (6 heads), patch 2; T5 with 2 layers of width 128: 8.1M trained
     * parameters, about 2.2 times the time per step of {@link #SMALL} (measured in CPU time), and a
     * transformer of 31 MB, too large to ship beside the other models.
     */
    BASE(new TextToImageTrainConfig.Mmdit(6, 6, 32, 2, TextToImageTrainConfig.RMS_NORM), 2, 128, 4, 256);

    private final TextToImageTrainConfig.Mmdit mmdit;
    private final int t5Layers;
    private final int t5Width;
    private final int t5Heads;
    private final int t5FeedForward;

    TextToImageSize(TextToImageTrainConfig.Mmdit mmdit, int t5Layers, int t5Width, int t5Heads, int t5FeedForward) {
        this.mmdit = mmdit;
        this.t5Layers = t5Layers;
        this.t5Width = t5Width;
        this.t5Heads = t5Heads;
        this.t5FeedForward = t5FeedForward;
    }

    /**
     * Returns the size's name as the command line spells it.
     *
     * @return the lower-case name, such as {@code "small"}
     */
    String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * Returns the names of all sizes.
     *
     * @return the lower-case names, smallest first
     */
    static Set<String> ids() {
        return Arrays.stream(values()).map(TextToImageSize::id).collect(Collectors.toCollection(LinkedHashSet::new));
    }

    /**
     * Returns the size with the given name.
     *
     * @param id the lower-case name
     * @return the size
     */
    static TextToImageSize of(String id) {
        return valueOf(id.toUpperCase(Locale.ROOT));
    }

    /**
     * Returns the MMDiT's architecture.
     *
     * @return the blocks, heads, head size, patch and qk norm
     */
    TextToImageTrainConfig.Mmdit mmdit() {
        return mmdit;
    }

    /**
     * Returns the T5 encoder's architecture for a tokenizer.
     *
     * @param vocabSize the T5 tokenizer's vocabulary size
     * @return the layers, width, heads, feed-forward size and vocabulary
     */
    TextToImageTrainConfig.T5 t5(int vocabSize) {
        return new TextToImageTrainConfig.T5(t5Layers, t5Width, t5Heads, t5FeedForward, vocabSize);
    }
}
