package org.minidiffusion.sd3;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.minidiffusion.core.api.Autograd;
import org.minidiffusion.core.api.Parameter;
import org.minidiffusion.core.api.Rng;
import org.minidiffusion.core.api.Tensor;
import org.minidiffusion.text.Unigram;
import org.minidiffusion.transformer.clip.ClipTextConfig;
import org.minidiffusion.transformer.clip.ClipTextModel;

/**
 * {@link PromptEncoder}: shapes, and values against the two encoders run by hand: CLIP's part is
 * its penultimate hidden state zero-padded to the joint width, T5's part its last hidden state on
 * the same ids and mask, pooled is CLIP's {@code text_embeds}; T5 gets gradients, CLIP does not.
 */
class PromptEncoderTests {
    private static final List<String> PROMPTS = List.of("", "a photo of a dark sneaker", "a pair of light trousers");

    @Test
    void shapesFollowTheContract() {
        PromptEncoder encoder = Tiny.encoder(1);
        assertEquals(Tiny.T5_WIDTH, encoder.jointAttentionDim());
        assertEquals(Tiny.POOLED, encoder.pooledDim());
        assertEquals(Tiny.CLIP_LENGTH + Tiny.T5_LENGTH, encoder.sequenceLength());
        PromptEmbeddings e = encoder.encode(PROMPTS);
        assertArrayEquals(new int[] {3, Tiny.CLIP_LENGTH + Tiny.T5_LENGTH, Tiny.T5_WIDTH}, e.tokens().shape().toArray());
        assertArrayEquals(new int[] {3, Tiny.POOLED}, e.pooled().shape().toArray());
    }

    @Test
    void clipTokensArePenultimateHiddenStatesZeroPaddedAndT5TokensFollow() {
        PromptEncoder encoder = Tiny.encoder(2);
        PromptEmbeddings e = encoder.encode(PROMPTS);
        int b = PROMPTS.size();
        int lc = Tiny.CLIP_LENGTH;
        int lt = Tiny.T5_LENGTH;
        int j = Tiny.T5_WIDTH;

        int[][] clipIds = new int[b][];
        int[][] t5Ids = new int[b][];
        int[][] t5Mask = new int[b][];
        for (int i = 0; i < b; i++) {
            clipIds[i] = Tiny.CLIP_TOKENIZER.encode(PROMPTS.get(i), lc, Tiny.CLIP_TOKENIZER.endId()).ids();
            Unigram.Encoding t = Tiny.T5_TOKENIZER.encode(PROMPTS.get(i), lt, true);
            t5Ids[i] = t.ids();
            t5Mask[i] = t.attentionMask();
        }
        ClipTextModel.Output clip = encoder.clip().encode(clipIds, null);
        float[] penultimate = clip.hiddenStates().get(clip.hiddenStates().size() - 2).toArray(); // (B, Lc, 8)
        float[] t5 = encoder.t5().encode(t5Ids, t5Mask).toArray();                                  // (B, Lt, 12)
        float[] tokens = e.tokens().toArray();                                                     // (B, Lc + Lt, 12)
        for (int i = 0; i < b; i++) {
            for (int s = 0; s < lc + lt; s++) {
                for (int k = 0; k < j; k++) {
                    float actual = tokens[(i * (lc + lt) + s) * j + k];
                    float expected = s < lc
                            ? (k < Tiny.CLIP_WIDTH ? penultimate[(i * lc + s) * Tiny.CLIP_WIDTH + k] : 0f)
                            : t5[(i * lt + s - lc) * j + k];
                    assertEquals(expected, actual, 0f, "prompt " + i + ", token " + s + ", feature " + k);
                }
            }
        }
        assertArrayEquals(clip.textEmbeds().toArray(), e.pooled().toArray(), 0f, "pooled = text_embeds");
        // the penultimate state is not the last one: the test would not tell them apart otherwise
        assertFalse(java.util.Arrays.equals(penultimate, clip.hiddenStates().get(2).toArray()));
    }

    @Test
    void aNarrowerT5IsPaddedToClipsWidth() {
        PromptEncoder encoder = Tiny.encoder(16, 8, 3);
        assertEquals(16, encoder.jointAttentionDim());
        float[] tokens = encoder.encode(List.of("a bag")).tokens().toArray(); // (1, Lc + Lt, 16)
        float[] t5 = encoder.t5().encode(new int[][] {Tiny.T5_TOKENIZER.encode("a bag", Tiny.T5_LENGTH, true).ids()},
                new int[][] {Tiny.T5_TOKENIZER.encode("a bag", Tiny.T5_LENGTH, true).attentionMask()}).toArray();
        for (int s = 0; s < Tiny.T5_LENGTH; s++) {
            for (int k = 0; k < 16; k++) {
                float expected = k < 8 ? t5[s * 8 + k] : 0f;
                assertEquals(expected, tokens[((Tiny.CLIP_LENGTH + s) * 16) + k], 0f, "T5 token " + s + ", feature " + k);
            }
        }
    }

    @Test
    void eachPromptIsEncodedAloneAndTheEmptyPromptIsNotZero() {
        PromptEncoder encoder = Tiny.encoder(4);
        PromptEmbeddings batch = encoder.encode(PROMPTS);
        PromptEmbeddings empty = encoder.encode(List.of(""));
        assertArrayEquals(empty.tokens().toArray(), batch.select(0).tokens().toArray(), 1e-6f);
        assertArrayEquals(empty.pooled().toArray(), batch.select(0).pooled().toArray(), 1e-6f);
        float norm = empty.tokens().abs().sum().item();
        assertTrue(norm > 1, "the empty prompt is encoded, not zeroed: |tokens| = " + norm);
        assertFalse(java.util.Arrays.equals(batch.select(1).tokens().toArray(), batch.select(2).tokens().toArray()));
    }

    @Test
    void t5GetsGradientsAndClipDoesNot() {
        PromptEncoder encoder = Tiny.encoder(5);
        assertTrue(Autograd.isEnabled());
        PromptEmbeddings e = encoder.encode(PROMPTS);
        e.tokens().mul(e.tokens()).sum().add(e.pooled().sum()).backward();
        for (var entry : encoder.t5().parameters().entrySet()) {
            Parameter p = entry.getValue();
            assertTrue(p.value().hasGrad(), "T5 " + entry.getKey() + " has a gradient");
        }
        float sum = encoder.t5().parameters().get("shared.weight").grad().abs().sum().item();
        assertTrue(sum > 0, "the embedding's gradient is not zero");
        for (var entry : encoder.clip().parameters().entrySet()) {
            assertFalse(entry.getValue().value().hasGrad(), "CLIP " + entry.getKey() + " is frozen");
        }
        try (Autograd.Scope noGrad = Autograd.noGrad()) {
            assertFalse(encoder.encode(PROMPTS).tokens().requiresGrad(), "nothing is recorded without autograd");
        }
    }

    @Test
    void describeTokensShowsBothTokenizersTokensAndIds() {
        PromptEncoder encoder = Tiny.encoder(6);
        String text = encoder.describeTokens("a dark sneaker");
        String[] lines = text.split("\n");
        assertEquals(4, lines.length, text);
        int real = Tiny.CLIP_TOKENIZER.encodeIds("a dark sneaker").length + 2;
        assertTrue(lines[0].startsWith("CLIP (" + real + " of 10 tokens): <|startoftext|> ")
                && lines[0].contains("<|endoftext|> + " + (10 - real) + " x <|endoftext|> (padding)"), text);
        int[] clipIds = Tiny.CLIP_TOKENIZER.encode("a dark sneaker", Tiny.CLIP_LENGTH, Tiny.CLIP_TOKENIZER.endId()).ids();
        assertTrue(lines[1].startsWith("  ids: " + clipIds[0] + " " + clipIds[1] + " "), text);
        assertTrue(lines[2].startsWith("T5 (") && lines[2].contains("</s>") && lines[2].contains("\u2581"), text);
        assertTrue(lines[3].contains(" " + Tiny.T5_TOKENIZER.eosId()), text);
    }

    @Test
    void badPartsAreNamed() {
        ClipTextConfig config = new ClipTextConfig(Tiny.CLIP_TOKENIZER.vocabSize(), 8, 16, 1, 2, 16, "gelu", 1e-5f, 6,
                Tiny.CLIP_TOKENIZER.endId());
        ClipTextModel noProjection = new ClipTextModel(config, false, new Rng(0));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new PromptEncoder(
                Tiny.CLIP_TOKENIZER, noProjection, 10, Tiny.T5_TOKENIZER, Tiny.t5(8, 0), 8));
        assertTrue(e.getMessage().contains("text_projection"), e.getMessage());
        ClipTextModel clip = new ClipTextModel(config, true, new Rng(0));
        e = assertThrows(IllegalArgumentException.class, () -> new PromptEncoder(
                Tiny.CLIP_TOKENIZER, clip, 17, Tiny.T5_TOKENIZER, Tiny.t5(8, 0), 8));
        assertTrue(e.getMessage().contains("17") && e.getMessage().contains("max_position_embeddings"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Tiny.encoder(7).encode(List.of()));
        assertTrue(e.getMessage().contains("no prompt"), e.getMessage());
    }
}
