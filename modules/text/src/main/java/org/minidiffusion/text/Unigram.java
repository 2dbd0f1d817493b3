package org.minidiffusion.text;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.eclipse.collections.impl.list.mutable.primitive.IntArrayList;
import org.eclipse.collections.impl.map.mutable.primitive.LongIntHashMap;
import org.eclipse.collections.impl.map.mutable.primitive.ObjectIntHashMap;

/**
 * SentencePiece's Unigram tokenizer, as T5 uses it (Kudo 2018): the segmentation with the highest
 * total log-probability, found by Viterbi over a trie of the pieces.
 *
 * <p>Normalisation is SentencePiece's with the {@code identity} rule: runs of spaces (U+0020) are
 * collapsed and trimmed, a space is put in front ({@code add_dummy_prefix}), and every space
 * becomes {@code ▁} (U+2581); {@code ▁}s at the end are dropped, even ones in the input. Characters no piece covers become {@code <unk>} (a run of them, one
 * {@code <unk>}, as SentencePiece merges them), or their UTF-8 bytes {@code <0x..>} if the
 * vocabulary has byte pieces. Lone surrogates are read as U+FFFD, as SentencePiece reads malformed
 * UTF-8. Instances are immutable and thread-safe.
 */
public final class Unigram {
    /** SentencePiece's {@code kUnkPenalty}: an unknown character scores the lowest piece score minus this. */
    static final float UNK_PENALTY = 10f;
    private static final char SPACE = '\u2581';

    /**
     * A padded encoding; the arrays are the caller's.
     *
     * @param ids           the ids, padded with {@link #padId()}
     * @param attentionMask 1 for real tokens (and the end token), 0 for padding
     */
    public record Encoding(int[] ids, int[] attentionMask) {
    }

    private enum Type { NORMAL, UNKNOWN, CONTROL, BYTE }

    private final String[] pieces;
    private final float[] scores;
    private final Type[] types;
    private final ObjectIntHashMap<String> ids;
    /** Trie edges: (node &lt;&lt; 21 | code point) -&gt; child node. */
    private final LongIntHashMap edges = new LongIntHashMap();
    /** The piece id that ends at each trie node, or -1. */
    private final IntArrayList nodePiece = new IntArrayList();
    private final int unkId;
    private final float unkScore;
    private final int[] byteIds;
    private final int eosId;
    private final int padId;

    private Unigram(Path file, String[] pieces, float[] scores, Type[] types, int unkId) throws TokenizerFormatException {
        this.pieces = pieces;
        this.scores = scores;
        this.types = types;
        this.unkId = unkId;
        ids = new ObjectIntHashMap<>(pieces.length);
        nodePiece.add(-1);
        float min = Float.POSITIVE_INFINITY;
        int bytes = 0;
        int[] byteId = new int[256];
        for (int i = 0; i < pieces.length; i++) {
            ids.put(pieces[i], i);
            if (types[i] == Type.NORMAL) {
                min = Math.min(min, scores[i]);
                insert(pieces[i], i);
            } else if (types[i] == Type.BYTE) {
                byteId[Integer.parseInt(pieces[i].substring(3, 5), 16)] = i;
                bytes++;
            }
        }
        if (bytes != 0 && bytes != 256) {
            throw new TokenizerFormatException(file, "vocabulary", "has " + bytes
                    + " byte pieces <0x..>; byte fallback needs all 256");
        }
        byteIds = bytes == 256 ? byteId : null;
        unkScore = (min == Float.POSITIVE_INFINITY ? 0f : min) - UNK_PENALTY;
        eosId = ids.getIfAbsent("</s>", -1);
        int pad = ids.getIfAbsent("<pad>", -1);
        padId = pad >= 0 ? pad : 0;
    }

    private void insert(String piece, int id) {
        int node = 0;
        for (int i = 0; i < piece.length(); ) {
            int c = piece.codePointAt(i);
            i += Character.charCount(c);
            long key = ((long) node << 21) | c;
            int child = edges.getIfAbsent(key, -1);
            if (child < 0) {
                child = nodePiece.size();
                nodePiece.add(-1);
                edges.put(key, child);
            }
            node = child;
        }
        nodePiece.set(node, id);
    }

    /**
     * Loads SentencePiece's plain vocabulary: one {@code piece<TAB>score} per line, in id order (the
     * {@code .vocab} file SentencePiece writes, or any such file). {@code <unk>} is the unknown
     * piece, {@code <s>}, {@code </s>} and {@code <pad>} are control pieces, and {@code <0x00>} ..
     * {@code <0xFF>}, if all present, are byte pieces.
     *
     * @param file the file; {@code .gz} is gunzipped
     * @return the tokenizer
     * @throws TokenizerFormatException naming the file and line: no tab, a bad score, an empty or
     *         duplicate piece, no {@code <unk>}
     * @throws IOException if the file cannot be read
     */
    public static Unigram loadTsv(Path file) throws IOException {
        String[] lines = TextFiles.read(file).split("\n", -1);
        int n = lines[lines.length - 1].isEmpty() ? lines.length - 1 : lines.length;
        String[] pieces = new String[n];
        float[] scores = new float[n];
        ObjectIntHashMap<String> seen = new ObjectIntHashMap<>(n);
        for (int i = 0; i < n; i++) {
            String line = lines[i].endsWith("\r") ? lines[i].substring(0, lines[i].length() - 1) : lines[i];
            String where = "line " + (i + 1);
            int tab = line.lastIndexOf('\t');
            if (tab < 0) {
                throw new TokenizerFormatException(file, where, "expected piece<TAB>score but found " + Json.quote(line));
            }
            pieces[i] = line.substring(0, tab);
            scores[i] = parseScore(line.substring(tab + 1), file, where);
            checkPiece(pieces[i], seen, i, file, where, "line " + (seen.getIfAbsent(pieces[i], -2) + 1));
        }
        return of(file, pieces, scores, Map.of(), true);
    }

    /**
     * Loads a Hugging Face {@code tokenizer.json} whose model is {@code "type": "Unigram"}: its
     * {@code vocab} of {@code [piece, score]} pairs, {@code unk_id} and {@code byte_fallback}; tokens
     * that {@code added_tokens} marks special are control pieces.
     *
     * @param file the file; {@code .gz} is gunzipped
     * @return the tokenizer
     * @throws TokenizerFormatException naming the file and key at fault
     * @throws IOException if the file cannot be read
     */
    public static Unigram loadTokenizerJson(Path file) throws IOException {
        Object root;
        try {
            root = Json.parse(TextFiles.read(file));
        } catch (Json.JsonException e) {
            throw new TokenizerFormatException(file, "JSON", e.getMessage());
        }
        Map<?, ?> model = root instanceof Map<?, ?> r && r.get("model") instanceof Map<?, ?> m ? m : null;
        if (model == null) {
            throw new TokenizerFormatException(file, "key model", "missing, or not an object");
        }
        if (!"Unigram".equals(model.get("type"))) {
            throw new TokenizerFormatException(file, "key model.type", "is " + model.get("type") + ", not \"Unigram\"");
        }
        if (!(model.get("vocab") instanceof List<?> vocab)) {
            throw new TokenizerFormatException(file, "key model.vocab", "missing, or not a list of [piece, score]");
        }
        int n = vocab.size();
        String[] pieces = new String[n];
        float[] scores = new float[n];
        ObjectIntHashMap<String> seen = new ObjectIntHashMap<>(n);
        for (int i = 0; i < n; i++) {
            String where = "key model.vocab[" + i + "]";
            if (!(vocab.get(i) instanceof List<?> pair) || pair.size() != 2 || !(pair.get(0) instanceof String piece)
                    || !(pair.get(1) instanceof Number score)) {
                throw new TokenizerFormatException(file, where, "expected [piece, score] but found " + vocab.get(i));
            }
            pieces[i] = piece;
            scores[i] = score.floatValue();
            checkPiece(piece, seen, i, file, where, "model.vocab[" + seen.getIfAbsent(piece, -1) + "]");
        }
        Map<String, Boolean> special = new java.util.HashMap<>();
        if (root instanceof Map<?, ?> r && r.get("added_tokens") instanceof List<?> added) {
            for (Object t : added) {
                if (t instanceof Map<?, ?> token && token.get("content") instanceof String content) {
                    special.put(content, Boolean.TRUE.equals(token.get("special")));
                }
            }
        }
        Object unk = model.get("unk_id");
        if (unk instanceof Long u && (u < 0 || u >= n)) {
            throw new TokenizerFormatException(file, "key model.unk_id", u + " is not an id of the vocabulary (0.." + (n - 1) + ")");
        }
        if (unk instanceof Long u) {
            special.put(pieces[u.intValue()], true);
            return of(file, pieces, scores, special, Boolean.TRUE.equals(model.get("byte_fallback")), u.intValue());
        }
        return of(file, pieces, scores, special, Boolean.TRUE.equals(model.get("byte_fallback")));
    }

    private static float parseScore(String s, Path file, String where) throws TokenizerFormatException {
        try {
            float f = (float) Double.parseDouble(s);
            if (Float.isFinite(f)) {
                return f;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new TokenizerFormatException(file, where, "the score " + Json.quote(s) + " is not a finite number");
    }

    private static void checkPiece(String piece, ObjectIntHashMap<String> seen, int i, Path file, String where,
            String first) throws TokenizerFormatException {
        if (piece.isEmpty()) {
            throw new TokenizerFormatException(file, where, "the piece is empty");
        }
        if (seen.containsKey(piece)) {
            throw new TokenizerFormatException(file, where, "duplicate piece " + Json.quote(piece) + ", first at " + first);
        }
        seen.put(piece, i);
    }

    private static Unigram of(Path file, String[] pieces, float[] scores, Map<String, Boolean> special,
            boolean byteFallback) throws TokenizerFormatException {
        int unk = -1;
        for (int i = 0; i < pieces.length && unk < 0; i++) {
            unk = pieces[i].equals("<unk>") ? i : -1;
        }
        if (unk < 0) {
            throw new TokenizerFormatException(file, "vocabulary", "has no <unk> piece");
        }
        return of(file, pieces, scores, special, byteFallback, unk);
    }

    private static Unigram of(Path file, String[] pieces, float[] scores, Map<String, Boolean> special,
            boolean byteFallback, int unk) throws TokenizerFormatException {
        Type[] types = new Type[pieces.length];
        for (int i = 0; i < pieces.length; i++) {
            String p = pieces[i];
            if (i == unk) {
                types[i] = Type.UNKNOWN;
            } else if (special.getOrDefault(p, false) || p.equals("<s>") || p.equals("</s>") || p.equals("<pad>")) {
                types[i] = Type.CONTROL;
            } else if (byteFallback && p.length() == 6 && p.matches("<0x[0-9A-F]{2}>")) {
                types[i] = Type.BYTE;
            } else {
                types[i] = Type.NORMAL;
            }
        }
        return new Unigram(file, pieces, scores, types, unk);
    }

    /** Builds a tokenizer from trained pieces: {@code <unk>}, {@code <s>}, {@code </s>} are special. */
    static Unigram fromPieces(String[] pieces, float[] scores) {
        try {
            return of(Path.of("trained vocabulary"), pieces, scores, Map.of(), false);
        } catch (TokenizerFormatException e) {
            throw new IllegalStateException(e); // cannot happen: the trainer puts <unk> first
        }
    }

    /**
     * Writes the vocabulary as {@code piece<TAB>score} lines in id order, atomically; {@link #loadTsv} reads it.
     *
     * @param file the file to write
     * @throws IOException if writing fails
     */
    public void saveTsv(Path file) throws IOException {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < pieces.length; i++) {
            b.append(pieces[i]).append('\t').append(scores[i]).append('\n');
        }
        TextFiles.writeAtomically(file, b.toString());
    }

    /**
     * Applies SentencePiece's whitespace handling and replaces spaces by {@code ▁}.
     *
     * @param text any text
     * @return the normalised text, empty if {@code text} has only spaces
     */
    public static String normalize(String text) {
        StringBuilder b = new StringBuilder(text.length() + 1);
        boolean pendingSpace = true; // add_dummy_prefix; then one ▁ per run of spaces, none at the end
        for (int i = 0; i < text.length(); ) {
            int c = text.codePointAt(i);
            i += Character.charCount(c);
            if (c == ' ') {
                pendingSpace = true;
                continue;
            }
            if (pendingSpace) {
                b.append(SPACE);
                pendingSpace = false;
            }
            b.appendCodePoint(c < 0x10000 && Character.isSurrogate((char) c) ? 0xFFFD : c);
        }
        int end = b.length();
        while (end > 0 && b.charAt(end - 1) == SPACE) { // SentencePiece also drops a literal ▁ at the end
            end--;
        }
        return b.substring(0, end);
    }

    /**
     * Encodes text to ids, without the end token.
     *
     * @param text any text
     * @return the ids
     */
    public int[] encode(String text) {
        String norm = normalize(text);
        int[] cps = norm.codePoints().toArray(); // (n,)
        int n = cps.length;
        // best[e]: the best score of a segmentation of cps[0, e); from[e], id[e]: its last piece.
        float[] best = new float[n + 1];
        int[] from = new int[n + 1];
        int[] last = new int[n + 1];
        Arrays.fill(from, -1);
        for (int start = 0; start < n; start++) {
            float base = best[start];
            boolean single = false;
            int node = 0;
            for (int k = start; k < n; k++) {
                node = edges.getIfAbsent(((long) node << 21) | cps[k], -1);
                if (node < 0) {
                    break;
                }
                int piece = nodePiece.get(node);
                if (piece >= 0) {
                    relax(best, from, last, start, k + 1, base + scores[piece], piece);
                    single |= k == start;
                }
            }
            if (!single) {
                relax(best, from, last, start, start + 1, base + unkScore, unkId);
            }
        }
        IntArrayList reversed = new IntArrayList();
        IntArrayList starts = new IntArrayList();
        for (int e = n; e > 0; e = from[e]) {
            reversed.add(last[e]);
            starts.add(from[e]);
        }
        IntArrayList out = new IntArrayList(reversed.size());
        for (int i = reversed.size() - 1; i >= 0; i--) {
            int id = reversed.get(i);
            if (id != unkId) {
                out.add(id);
                continue;
            }
            int begin = starts.get(i);
            while (i > 0 && reversed.get(i - 1) == unkId) { // a run of unknown characters is one <unk>
                i--;
            }
            int end = i == 0 ? n : starts.get(i - 1);
            if (byteIds == null) {
                out.add(unkId);
            } else {
                String surface = new String(cps, begin, end - begin);
                for (byte b : Utf8.encode(surface, 0, surface.length(), true)) {
                    out.add(byteIds[b & 0xFF]);
                }
            }
        }
        return out.toArray();
    }

    /** SentencePiece's optimized Viterbi keeps the first candidate among equal scores. */
    private static void relax(float[] best, int[] from, int[] last, int start, int end, float score, int piece) {
        if (from[end] == -1 || score > best[end]) {
            best[end] = score;
            from[end] = start;
            last[end] = piece;
        }
    }

    /**
     * Encodes text, optionally followed by {@code </s>}, truncated and padded to {@code length}, as
     * T5's tokenizer does with {@code max_length}; truncation keeps the end token.
     *
     * @param text   any text
     * @param length the length of the result, at least 1
     * @param addEos whether to end with {@code </s>}
     * @return the ids and attention mask
     * @throws IllegalArgumentException if {@code length < 1}, or {@code addEos} and the vocabulary has no {@code </s>}
     */
    public Encoding encode(String text, int length, boolean addEos) {
        if (length < 1) {
            throw new IllegalArgumentException("length " + length + " must be at least 1");
        }
        if (addEos && eosId < 0) {
            throw new IllegalArgumentException("the vocabulary has no </s> piece to end with");
        }
        int[] body = encode(text);
        int n = Math.min(body.length, addEos ? length - 1 : length);
        int[] ids = new int[length];
        int[] mask = new int[length];
        Arrays.fill(ids, padId);
        System.arraycopy(body, 0, ids, 0, n);
        if (addEos) {
            ids[n++] = eosId;
        }
        Arrays.fill(mask, 0, n, 1);
        return new Encoding(ids, mask);
    }

    /**
     * Returns the pieces of a text.
     *
     * @param text any text
     * @return the pieces, {@code ▁} marking spaces
     */
    public List<String> pieces(String text) {
        List<String> out = new ArrayList<>();
        for (int id : encode(text)) {
            out.add(pieces[id]);
        }
        return out;
    }

    /**
     * Decodes ids as SentencePiece does: {@code ▁} becomes a space, except a piece's leading one while nothing has been output,
     * control pieces vanish, {@code <unk>} becomes {@code " ⁇ "}, and byte pieces are decoded as
     * UTF-8 (U+FFFD where invalid).
     *
     * @param ids the ids
     * @return the text
     * @throws IllegalArgumentException if an id is out of range, naming it
     */
    public String decode(int[] ids) {
        StringBuilder out = new StringBuilder();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        for (int id : ids) {
            if (id < 0 || id >= pieces.length) {
                throw new IllegalArgumentException("id " + id + " is not in the vocabulary (ids 0.." + (pieces.length - 1) + ")");
            }
            if (types[id] == Type.BYTE) {
                bytes.write(Integer.parseInt(pieces[id].substring(3, 5), 16));
                continue;
            }
            flush(bytes, out);
            switch (types[id]) {
                case UNKNOWN -> out.append(" \u2047 ");
                case NORMAL -> {
                    String piece = pieces[id];
                    out.append(stripWhileEmpty(out, piece).replace(SPACE, ' '));
                }
                default -> { } // control pieces decode to nothing
            }
        }
        flush(bytes, out);
        return out.toString();
    }

    /** As SentencePiece: while nothing has been output, a piece's leading ▁ is the dummy prefix, not a space. */
    private static String stripWhileEmpty(StringBuilder out, String piece) {
        return out.length() == 0 && !piece.isEmpty() && piece.charAt(0) == SPACE ? piece.substring(1) : piece;
    }

    private static void flush(ByteArrayOutputStream bytes, StringBuilder out) {
        if (bytes.size() > 0) {
            out.append(stripWhileEmpty(out, new String(bytes.toByteArray(), StandardCharsets.UTF_8)).replace(SPACE, ' '));
            bytes.reset();
        }
    }

    /**
     * Returns the number of pieces.
     *
     * @return the vocabulary size
     */
    public int vocabSize() {
        return pieces.length;
    }

    /**
     * Returns a piece's id.
     *
     * @param piece the piece
     * @return its id, or -1
     */
    public int id(String piece) {
        return ids.getIfAbsent(piece, -1);
    }

    /**
     * Returns the piece with an id.
     *
     * @param id the id
     * @return the piece
     * @throws IndexOutOfBoundsException if there is none
     */
    public String piece(int id) {
        return pieces[id];
    }

    /**
     * Returns a piece's log-probability score.
     *
     * @param id the id
     * @return the score
     */
    public float score(int id) {
        return scores[id];
    }

    /**
     * Returns the id of {@code <unk>}.
     *
     * @return the unknown id
     */
    public int unkId() {
        return unkId;
    }

    /**
     * Returns the id of {@code </s>}, or -1 if there is none.
     *
     * @return the end id
     */
    public int eosId() {
        return eosId;
    }

    /**
     * Returns the padding id: {@code <pad>}'s if the vocabulary has it (T5: 0), else 0.
     *
     * @return the padding id
     */
    public int padId() {
        return padId;
    }

    /**
     * Returns whether unknown characters become byte pieces rather than {@code <unk>}.
     *
     * @return whether byte fallback is on
     */
    public boolean byteFallback() {
        return byteIds != null;
    }
}
