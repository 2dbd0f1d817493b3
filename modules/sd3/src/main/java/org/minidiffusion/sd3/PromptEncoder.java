package org.minidiffusion.sd3;

import java.util.List;
import java.util.Locale;
import java.util.Objects;
import org.minidiffusion.core.api.Autograd;
import org.minidiffusion.core.api.Tensor;
import org.minidiffusion.text.ClipTokenizer;
import org.minidiffusion.text.Unigram;
import org.minidiffusion.transformer.clip.ClipTextModel;
import org.minidiffusion.transformer.t5.T5EncoderModel;

/**
 * Encodes prompts as Stable Diffusion 3 does (Esser et al. 2024, section 2 and appendix B.2;
 * diffusers' {@code StableDiffusion3Pipeline.encode_prompt}), with one CLIP text encoder instead
 * of SD3's two:
 * <ul>
 *   <li>CLIP: the prompt framed by start and end tokens and padded with the end token to
 *       {@code clipLength}, no attention mask (as CLIP was trained here and in SD3); the tokens are the
 *       <em>penultimate</em> hidden state {@code (B, Lc, Dclip)} and the pooled conditioning the
 *       projected pooled output {@code text_embeds} {@code (B, P)};</li>
 *   <li>T5: the Unigram pieces followed by {@code </s>}, padded with the pad id to
 *       {@code t5Length}, with the attention mask; the tokens are the last hidden state after the
 *       final RMSNorm, {@code (B, Lt, Dt)};</li>
 *   <li>both are zero-padded on the feature axis to {@code jointAttentionDim = max(Dclip, Dt)} (as
 *       SD3 pads CLIP's 2048 features to T5's 4096) and joined on the sequence axis:
 *       {@code (B, Lc + Lt, jointAttentionDim)}.</li>
 * </ul>
 *
 * <p>CLIP is frozen: it runs without autograd, so its outputs carry no gradient. T5 is trained
 * jointly with the MMDiT (there is no pretrained T5 here and no budget for a span-corruption
 * decoder; the flow-matching loss is the signal its features are for), so when autograd is on,
 * its forward pass is recorded and a backward pass from the MMDiT's loss reaches its parameters.
 *
 * <p>The empty prompt {@code ""} is the unconditional input of classifier-free guidance (Ho and
 * Salimans 2022): it is encoded like any other prompt, never replaced by zeros.
 */
public final class PromptEncoder {
    private final ClipTokenizer clipTokenizer;
    private final ClipTextModel clip;
    private final int clipLength;
    private final Unigram t5Tokenizer;
    private final T5EncoderModel t5;
    private final int t5Length;
    private final int jointAttentionDim;

    /**
     * Joins the two tokenizers and encoders.
     *
     * @param clipTokenizer CLIP's BPE
     * @param clip          CLIP's text encoder, with its projection ({@code CLIPTextModelWithProjection})
     *                      and at least one block
     * @param clipLength    CLIP's context length {@code Lc}, start and end tokens included, at least 2
     *                      and at most {@code max_position_embeddings}
     * @param t5Tokenizer   T5's Unigram, with {@code </s>}
     * @param t5            T5's encoder
     * @param t5Length      T5's context length {@code Lt}, {@code </s>} included, at least 1
     * @throws IllegalArgumentException naming the value that does not fit
     */
    public PromptEncoder(ClipTokenizer clipTokenizer, ClipTextModel clip, int clipLength,
                         Unigram t5Tokenizer, T5EncoderModel t5, int t5Length) {
        this.clipTokenizer = Objects.requireNonNull(clipTokenizer, "clipTokenizer");
        this.clip = Objects.requireNonNull(clip, "clip");
        this.t5Tokenizer = Objects.requireNonNull(t5Tokenizer, "t5Tokenizer");
        this.t5 = Objects.requireNonNull(t5, "t5");
        if (!clip.hasProjection()) {
            throw new IllegalArgumentException("PromptEncoder: the CLIP text encoder has no text_projection, "
                    + "whose output is the pooled conditioning");
        }
        if (clipLength < 2 || clipLength > clip.config().maxPositionEmbeddings()) {
            throw new IllegalArgumentException("PromptEncoder: the CLIP length " + clipLength + " is outside [2, "
                    + clip.config().maxPositionEmbeddings() + "] (max_position_embeddings)");
        }
        if (t5Length < 1) {
            throw new IllegalArgumentException("PromptEncoder: the T5 length must be at least 1, got " + t5Length);
        }
        if (clipTokenizer.vocabSize() > clip.config().vocabSize()) {
            throw new IllegalArgumentException("PromptEncoder: the CLIP tokenizer has " + clipTokenizer.vocabSize()
                    + " ids but the text encoder's vocab_size is " + clip.config().vocabSize());
        }
        int eos = clip.config().eosTokenId();
        if (eos != 2 && eos != clipTokenizer.endId()) {
            throw new IllegalArgumentException("PromptEncoder: the CLIP text encoder pools at eos_token_id " + eos
                    + " but the tokenizer's end token is " + clipTokenizer.endId());
        }
        if (t5Tokenizer.vocabSize() > t5.config().vocabSize()) {
            throw new IllegalArgumentException("PromptEncoder: the T5 tokenizer has " + t5Tokenizer.vocabSize()
                    + " pieces but the encoder's vocab_size is " + t5.config().vocabSize());
        }
        if (t5Tokenizer.eosId() < 0) {
            throw new IllegalArgumentException("PromptEncoder: the T5 tokenizer has no </s> piece to end prompts with");
        }
        this.clipLength = clipLength;
        this.t5Length = t5Length;
        this.jointAttentionDim = Math.max(clip.config().hiddenSize(), t5.config().dModel());
    }

    /**
     * Encodes a batch of prompts. CLIP runs without grad; T5 is recorded for backward when
     * autograd is on.
     *
     * @param prompts at least one prompt; {@code ""} for the unconditional input
     * @return tokens {@code (B, Lc + Lt, jointAttentionDim)} and pooled {@code (B, pooledDim)}
     * @throws IllegalArgumentException if there is no prompt or one is null
     */
    public PromptEmbeddings encode(List<String> prompts) {
        if (prompts == null || prompts.isEmpty()) {
            throw new IllegalArgumentException("PromptEncoder.encode: no prompt");
        }
        int b = prompts.size();
        int[][] clipIds = new int[b][];
        int[][] t5Ids = new int[b][];
        int[][] t5Mask = new int[b][];
        for (int i = 0; i < b; i++) {
            String prompt = prompts.get(i);
            if (prompt == null) {
                throw new IllegalArgumentException("PromptEncoder.encode: prompt " + i + " is null");
            }
            clipIds[i] = clipTokenizer.encode(prompt, clipLength, clipTokenizer.endId()).ids();
            Unigram.Encoding t = t5Tokenizer.encode(prompt, t5Length, true);
            t5Ids[i] = t.ids();
            t5Mask[i] = t.attentionMask();
        }
        Tensor clipTokens;
        Tensor pooled;
        try (Autograd.Scope frozen = Autograd.noGrad()) {
            ClipTextModel.Output out = clip.encode(clipIds, null);
            clipTokens = padFeatures(out.penultimateHiddenState());          // (B, Lc, J), hidden_states[-2]
            pooled = out.textEmbeds();                                       // (B, P)
        }
        Tensor t5Tokens = padFeatures(t5.encode(t5Ids, t5Mask));             // (B, Lt, J), recorded if autograd is on
        return new PromptEmbeddings(Tensor.concat(1, clipTokens, t5Tokens), pooled); // (B, Lc + Lt, J)
    }

    /** Zero-pads {@code (B, L, D)} to {@code (B, L, jointAttentionDim)}, as SD3 pads CLIP's features to T5's width. */
    private Tensor padFeatures(Tensor x) {
        int missing = jointAttentionDim - x.size(2);
        return missing == 0 ? x : x.pad(new int[] {0, missing}, 0f);
    }

    /**
     * Returns the width of the tokens: {@code max(Dclip, Dt)}, the MMDiT's {@code joint_attention_dim}.
     *
     * @return the joint attention dim
     */
    public int jointAttentionDim() {
        return jointAttentionDim;
    }

    /**
     * Returns the width of the pooled conditioning: CLIP's {@code projection_dim}, the MMDiT's
     * {@code pooled_projection_dim}.
     *
     * @return the pooled dim
     */
    public int pooledDim() {
        return clip.config().projectionDim();
    }

    /**
     * Returns the number of tokens per prompt, {@code Lc + Lt}.
     *
     * @return the sequence length
     */
    public int sequenceLength() {
        return clipLength + t5Length;
    }

    /**
     * Returns CLIP's tokenizer.
     *
     * @return the BPE
     */
    public ClipTokenizer clipTokenizer() {
        return clipTokenizer;
    }

    /**
     * Returns CLIP's text encoder.
     *
     * @return the frozen encoder
     */
    public ClipTextModel clip() {
        return clip;
    }

    /**
     * Returns T5's tokenizer.
     *
     * @return the Unigram
     */
    public Unigram t5Tokenizer() {
        return t5Tokenizer;
    }

    /**
     * Returns T5's encoder.
     *
     * @return the encoder, trained with the MMDiT
     */
    public T5EncoderModel t5() {
        return t5;
    }

    /**
     * Returns CLIP's context length {@code Lc}.
     *
     * @return the length, start and end tokens included
     */
    public int clipLength() {
        return clipLength;
    }

    /**
     * Returns T5's context length {@code Lt}.
     *
     * @return the length, {@code </s>} included
     */
    public int t5Length() {
        return t5Length;
    }

    /**
     * Returns the tokens and ids of a prompt as both tokenizers frame them, for {@code --show-tokens}:
     * four lines, CLIP's tokens and ids then T5's, padding summarised, and a note when a prompt
     * is cut to the context length.
     *
     * @param prompt any text
     * @return the description, lines separated by {@code \n}, without a final newline
     */
    public String describeTokens(String prompt) {
        ClipTokenizer.Encoding c = clipTokenizer.encode(prompt, clipLength, clipTokenizer.endId());
        int clipReal = c.eosPosition() + 1;
        int clipWords = clipTokenizer.encodeIds(prompt).length;
        StringBuilder tokens = new StringBuilder();
        StringBuilder ids = new StringBuilder();
        for (int j = 0; j < clipReal; j++) {
            tokens.append(j == 0 ? "" : " ").append(clipTokenizer.token(c.ids()[j]));
            ids.append(j == 0 ? "" : " ").append(c.ids()[j]);
        }
        StringBuilder out = new StringBuilder();
        out.append(String.format(Locale.ROOT, "CLIP (%d of %d tokens%s): %s%s\n", clipReal, clipLength,
                clipWords > clipLength - 2 ? ", cut from " + (clipWords + 2) : "", tokens, padding(clipLength - clipReal,
                        clipTokenizer.token(clipTokenizer.endId()))));
        out.append("  ids: ").append(ids).append(padding(clipLength - clipReal, Integer.toString(clipTokenizer.endId())))
                .append('\n');

        Unigram.Encoding t = t5Tokenizer.encode(prompt, t5Length, true);
        int t5Real = 0;
        for (int m : t.attentionMask()) {
            t5Real += m;
        }
        int t5Pieces = t5Tokenizer.encode(prompt).length;
        tokens.setLength(0);
        ids.setLength(0);
        for (int j = 0; j < t5Real; j++) {
            tokens.append(j == 0 ? "" : " ").append(t5Tokenizer.piece(t.ids()[j]));
            ids.append(j == 0 ? "" : " ").append(t.ids()[j]);
        }
        out.append(String.format(Locale.ROOT, "T5 (%d of %d tokens%s): %s%s\n", t5Real, t5Length,
                t5Pieces > t5Length - 1 ? ", cut from " + (t5Pieces + 1) : "", tokens,
                padding(t5Length - t5Real, t5Tokenizer.piece(t5Tokenizer.padId()))));
        out.append("  ids: ").append(ids).append(padding(t5Length - t5Real, Integer.toString(t5Tokenizer.padId())));
        return out.toString();
    }

    private static String padding(int count, String token) {
        return count == 0 ? "" : " + " + count + " x " + token + " (padding)";
    }
}
