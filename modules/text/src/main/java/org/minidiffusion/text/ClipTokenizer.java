package org.minidiffusion.text;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * CLIP's byte-level BPE, as Hugging Face's {@code CLIPTokenizer} runs it without ftfy: the text is
 * cleaned and lower-cased, split by CLIP's pattern, each word ends in {@code </w>}, and the ids are
 * framed by {@code <|startoftext|>} and {@code <|endoftext|>} and padded or truncated to a context
 * length (77 by default), with the attention mask and the end token's position that CLIP's text
 * encoder pools at.
 *
 * <p>Loads Hugging Face's {@code vocab.json} and {@code merges.txt}, or OpenAI's
 * {@code bpe_simple_vocab_16e6.txt.gz}; the vocabulary must hold all 256
 * byte characters with and without {@code </w>}, and both special tokens. Instances are thread-safe.
 */
public final class ClipTokenizer {
    /** CLIP's context length. */
    public static final int DEFAULT_CONTEXT_LENGTH = 77;
    /** The start token. */
    public static final String START = "<|startoftext|>";
    /** The end token, also the padding token of Stable Diffusion's CLIP tokenizers. */
    public static final String END = "<|endoftext|>";
    private static final String END_OF_WORD = "</w>";
    private static final int CACHE_LIMIT = 1 << 16;

    /**
     * A framed encoding: {@code ids} and {@code attentionMask} have the context length; the mask is 1
     * for the start token, the text and the end token, and 0 for padding; {@code ids[eosPosition]} is
     * the end token. The arrays are the caller's.
     *
     * @param ids           the ids, padded
     * @param attentionMask 1 for real tokens, 0 for padding
     * @param eosPosition   the index of the end token
     */
    public record Encoding(int[] ids, int[] attentionMask, int eosPosition) {
    }

    private final BpeModel model;
    private final int[] byteIds = new int[256];
    private final int[] lastByteIds = new int[256];
    private final int startId;
    private final int endId;
    private final Map<String, int[]> cache = new ConcurrentHashMap<>();

    private ClipTokenizer(BpeModel model, Path vocabFile) throws TokenizerFormatException {
        this.model = model;
        for (int b = 0; b < 256; b++) {
            String c = String.valueOf(ByteUnicode.charOf(b));
            byteIds[b] = requireToken(model, c, vocabFile);
            lastByteIds[b] = requireToken(model, c + END_OF_WORD, vocabFile);
        }
        startId = requireToken(model, START, vocabFile);
        endId = requireToken(model, END, vocabFile);
    }

    static ClipTokenizer of(BpeModel model, Path vocabFile) throws TokenizerFormatException {
        return new ClipTokenizer(model, vocabFile);
    }

    private static int requireToken(BpeModel model, String token, Path vocabFile) throws TokenizerFormatException {
        int id = model.id(token);
        if (id < 0) {
            throw new TokenizerFormatException(vocabFile, "vocabulary", "lacks the token \"" + token
                    + "\", which CLIP's tokenizer needs");
        }
        return id;
    }

    /**
     * Loads Hugging Face's {@code vocab.json} and {@code merges.txt} of a CLIP model; {@code .gz} files are gunzipped.
     *
     * @param vocabFile  the JSON object from token to id
     * @param mergesFile the merges
     * @return the tokenizer
     * @throws TokenizerFormatException naming the file and line or key at fault
     * @throws IOException if a file cannot be read
     */
    public static ClipTokenizer load(Path vocabFile, Path mergesFile) throws IOException {
        return new ClipTokenizer(BpeModel.parse(vocabFile, TextFiles.read(vocabFile), mergesFile,
                TextFiles.read(mergesFile), false), vocabFile);
    }

    /** The number of merges OpenAI's CLIP uses from its merges file: 49152 - 256 - 2. */
    public static final int OPENAI_MERGES = 49152 - 256 - 2;

    /**
     * Loads OpenAI's {@code bpe_simple_vocab_16e6.txt.gz}, a merges file from which
     * {@code simple_tokenizer.py} builds the vocabulary: the 256 byte characters, the same with
     * {@code </w>}, the first {@code merges} merges joined, then the two special tokens.
     *
     * @param mergesFile the merges, after one header line; {@code .gz} is gunzipped
     * @param merges     how many merges to use: {@link #OPENAI_MERGES} for CLIP
     * @return the tokenizer
     * @throws TokenizerFormatException naming the file and line at fault, or if it has fewer merges
     * @throws IOException if the file cannot be read
     */
    public static ClipTokenizer loadOpenAi(Path mergesFile, int merges) throws IOException {
        String[] lines = TextFiles.read(mergesFile).split("\n", -1);
        if (lines.length - 1 < merges) {
            throw new TokenizerFormatException(mergesFile, "line " + lines.length, "the file has "
                    + Math.max(0, lines.length - 2) + " merges, fewer than the " + merges + " asked for");
        }
        StringBuilder vocab = new StringBuilder("{");
        StringBuilder mergeText = new StringBuilder("#version: 0.2\n");
        int id = 0;
        for (String suffix : new String[] {"", END_OF_WORD}) {
            for (int k = 0; k < 256; k++) {
                vocab.append(Json.quote(ByteUnicode.charOf(ByteUnicode.byteInOrder(k)) + suffix)).append(':').append(id++).append(',');
            }
        }
        for (int n = 1; n <= merges; n++) {
            String line = lines[n].endsWith("\r") ? lines[n].substring(0, lines[n].length() - 1) : lines[n];
            vocab.append(Json.quote(line.replace(" ", ""))).append(':').append(id++).append(',');
            mergeText.append(line).append('\n');
        }
        vocab.append(Json.quote(START)).append(':').append(id++).append(',').append(Json.quote(END)).append(':').append(id).append('}');
        // Line numbers in errors are those of the file: line 1 is its header, as here.
        return new ClipTokenizer(BpeModel.parse(mergesFile, vocab.toString(), mergesFile, mergeText.toString(), false),
                mergesFile);
    }

    /**
     * Cleans text as {@code CLIPTokenizer} does when ftfy is absent (its {@code BasicTokenizer} with
     * {@code strip_accents=False, do_split_on_punc=False}): drop U+0000, U+FFFD and every character
     * of a category C* (control, format, unassigned, private use, surrogate) except tab, newline
     * and return; whitespace (those three and Zs) becomes a space; CJK ideographs become words of
     * their own; then NFC; words are separated by single spaces (Python's {@code split()}, which
     * also splits at U+2028 and U+2029), lower-cased and trimmed.
     *
     * @param text any text
     * @return the cleaned text
     */
    public static String clean(String text) {
        StringBuilder b = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); ) {
            int c = text.codePointAt(i);
            i += Character.charCount(c);
            int type = Character.getType(c);
            boolean tabOrNewline = c == '\t' || c == '\n' || c == '\r';
            boolean other = type == Character.CONTROL || type == Character.FORMAT || type == Character.UNASSIGNED
                    || type == Character.PRIVATE_USE || type == Character.SURROGATE;
            if (c == 0 || c == 0xFFFD || (!tabOrNewline && other)) {
                continue;
            }
            if (tabOrNewline || type == Character.SPACE_SEPARATOR) {
                b.append(' ');
            } else if (isCjkIdeograph(c)) {
                b.append(' ').appendCodePoint(c).append(' ');
            } else {
                b.appendCodePoint(c);
            }
        }
        String nfc = Normalizer.normalize(b, Normalizer.Form.NFC).replace('\u2028', ' ').replace('\u2029', ' ');
        return String.join(" ", nfc.toLowerCase(Locale.ROOT).trim().split(" +"));
    }

    /** {@code BasicTokenizer._is_chinese_char}: the CJK Unified Ideographs blocks. */
    private static boolean isCjkIdeograph(int c) {
        return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x20000 && c <= 0x2A6DF)
                || (c >= 0x2A700 && c <= 0x2B73F) || (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B820 && c <= 0x2CEAF)
                || (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
    }

    /**
     * Encodes text to ids without the start and end tokens, and without padding or truncation.
     *
     * @param text any text (cleaning drops lone surrogates)
     * @return the ids
     */
    public int[] encodeIds(String text) {
        int[] out = new int[16];
        int n = 0;
        for (String piece : PreTokenizer.clip(clean(text))) {
            int[] ids = word(piece);
            if (n + ids.length > out.length) {
                out = Arrays.copyOf(out, Math.max(out.length * 2, n + ids.length));
            }
            System.arraycopy(ids, 0, out, n, ids.length);
            n += ids.length;
        }
        return Arrays.copyOf(out, n);
    }

    /**
     * Encodes text framed by the start and end tokens and padded with the end token to
     * {@link #DEFAULT_CONTEXT_LENGTH}, as Stable Diffusion's CLIP tokenizers do.
     *
     * @param text any text
     * @return the encoding
     */
    public Encoding encode(String text) {
        return encode(text, DEFAULT_CONTEXT_LENGTH, endId);
    }

    /**
     * Encodes text framed by the start and end tokens, truncated so that the end token fits, and padded.
     *
     * @param text          any text
     * @param contextLength the length of the result, at least 2
     * @param padId         the padding id: {@link #endId()} as in Hugging Face's Stable Diffusion
     *                      tokenizers, or 0 as in OpenAI's {@code clip.tokenize}
     * @return the encoding
     * @throws IllegalArgumentException if {@code contextLength < 2}
     */
    public Encoding encode(String text, int contextLength, int padId) {
        if (contextLength < 2) {
            throw new IllegalArgumentException("context length " + contextLength
                    + " leaves no room for the start and end tokens (it must be at least 2)");
        }
        int[] words = encodeIds(text);
        int n = Math.min(words.length, contextLength - 2);
        int[] ids = new int[contextLength];
        int[] mask = new int[contextLength];
        Arrays.fill(ids, padId);
        ids[0] = startId;
        System.arraycopy(words, 0, ids, 1, n);
        ids[n + 1] = endId;
        Arrays.fill(mask, 0, n + 2, 1);
        return new Encoding(ids, mask, n + 1);
    }

    private int[] word(String piece) {
        if (piece.equals(START)) {
            return new int[] {startId};
        }
        if (piece.equals(END)) {
            return new int[] {endId};
        }
        int[] cached = cache.get(piece);
        if (cached != null) {
            return cached;
        }
        byte[] bytes = Utf8.encode(piece, 0, piece.length(), true);
        int[] word = new int[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            word[i] = (i == bytes.length - 1 ? lastByteIds : byteIds)[bytes[i] & 0xFF];
        }
        int[] ids = Arrays.copyOf(word, model.merge(word));
        if (piece.length() <= 64) {
            if (cache.size() >= CACHE_LIMIT) {
                cache.clear();
            }
            cache.put(piece, ids);
        }
        return ids;
    }

    /**
     * Returns the tokens of a text, without the start and end tokens.
     *
     * @param text any text
     * @return the tokens, in byte characters, each word's last ending in {@code </w>}
     */
    public List<String> tokens(String text) {
        List<String> out = new ArrayList<>();
        for (int id : encodeIds(text)) {
            out.add(model.token(id));
        }
        return out;
    }

    /**
     * Decodes ids to text, skipping the start and end (and so padding) tokens; each {@code </w>}
     * becomes a space and the result is trimmed, as {@code CLIPTokenizer.decode} does.
     *
     * @param ids the ids
     * @return the text: the cleaned words, separated by spaces
     * @throws IllegalArgumentException if an id is not in the vocabulary
     */
    public String decode(int[] ids) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        for (int id : ids) {
            if (id == startId || id == endId) {
                continue;
            }
            String token = model.token(id);
            if (token == null) {
                throw new IllegalArgumentException("id " + id + " is not in the vocabulary (ids 0.." + (model.idRange() - 1) + ")");
            }
            for (int i = 0; i < token.length(); i++) {
                if (token.startsWith(END_OF_WORD, i)) {
                    bytes.write(' ');
                    i += END_OF_WORD.length() - 1;
                    continue;
                }
                int b = ByteUnicode.byteOf(token.charAt(i));
                if (b < 0) {
                    throw new IllegalArgumentException("token " + id + " has the character U+"
                            + String.format("%04X", (int) token.charAt(i)) + ", which stands for no byte");
                }
                bytes.write(b);
            }
        }
        return new String(bytes.toByteArray(), StandardCharsets.UTF_8).trim();
    }

    /**
     * Returns the id of {@code <|startoftext|>}.
     *
     * @return the start id
     */
    public int startId() {
        return startId;
    }

    /**
     * Returns the id of {@code <|endoftext|>}.
     *
     * @return the end id
     */
    public int endId() {
        return endId;
    }

    /**
     * Returns a token's id.
     *
     * @param token the token
     * @return its id, or -1
     */
    public int id(String token) {
        return model.id(token);
    }

    /**
     * Returns the token with an id.
     *
     * @param id the id
     * @return the token, or {@code null}
     */
    public String token(int id) {
        return model.token(id);
    }

    /**
     * Returns one more than the largest id.
     *
     * @return the vocabulary size (49408 for CLIP)
     */
    public int vocabSize() {
        return model.idRange();
    }

    /**
     * Writes the vocabulary and merges in Hugging Face's format, each file atomically; {@link #load} reads them back.
     *
     * @param vocabFile  the {@code vocab.json} to write
     * @param mergesFile the {@code merges.txt} to write
     * @throws IOException if writing fails
     */
    public void save(Path vocabFile, Path mergesFile) throws IOException {
        model.save(vocabFile, mergesFile);
    }
}
