package org.minidiffusion.text;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import org.eclipse.collections.impl.map.mutable.primitive.LongLongHashMap;
import org.eclipse.collections.impl.map.mutable.primitive.ObjectIntHashMap;

/**
 * A BPE vocabulary and its merges: token strings to ids in an {@link ObjectIntHashMap}, and each
 * mergeable pair of ids, packed in a {@code long}, to its rank and merged id in a
 * {@link LongLongHashMap}, so applying merges never boxes.
 */
final class BpeModel {
    private final ObjectIntHashMap<String> ids;
    private final String[] tokens;
    /** (left id &lt;&lt; 32 | right id) -&gt; (rank &lt;&lt; 32 | merged id). */
    private final LongLongHashMap pairs;
    /** The merges in rank order, as {@link #pairKey} of (left, right), for saving. */
    private final long[] merges;

    /**
     * Creates a model from its parts, which it keeps.
     *
     * @param ids    token to id
     * @param tokens id to token ({@code null} where no token has that id)
     * @param merges the merges in rank order, each {@link #pairKey} of (left id, right id)
     * @param pairs  the pair table, as {@link #pairKey} to {@code (rank << 32) | merged id}
     */
    public BpeModel(ObjectIntHashMap<String> ids, String[] tokens, long[] merges, LongLongHashMap pairs) {
        this.ids = ids;
        this.tokens = tokens;
        this.merges = merges;
        this.pairs = pairs;
    }

    /**
     * Packs a pair of ids into a key.
     *
     * @param left  the left id
     * @param right the right id
     * @return the key
     */
    public static long pairKey(int left, int right) {
        return ((long) left << 32) | (right & 0xFFFFFFFFL);
    }

    /**
     * Loads a {@code vocab.json}/{@code encoder.json} and a {@code merges.txt}/{@code vocab.bpe}.
     *
     * @param vocabFile   JSON object from token to id
     * @param vocabText   its content
     * @param mergesFile  one merge per line, {@code left right}, after an optional {@code #version} line
     * @param mergesText  its content
     * @param joinedKeys  whether to look pairs up as gpt-3-encoder does, by the key
     *                    {@code left + "," + right}: then a pair whose key equals a merge's key
     *                    (as {@code ("\",", "\"")} equals {@code ("\"", ",\"")}) merges with that rank
     * @return the model
     * @throws TokenizerFormatException naming the file and the line or key at fault
     */
    public static BpeModel parse(Path vocabFile, String vocabText, Path mergesFile, String mergesText,
            boolean joinedKeys) throws TokenizerFormatException {
        Object json;
        try {
            json = Json.parse(vocabText);
        } catch (Json.JsonException e) {
            throw new TokenizerFormatException(vocabFile, "JSON", e.getMessage());
        }
        if (!(json instanceof Map<?, ?> map)) {
            throw new TokenizerFormatException(vocabFile, "JSON", "expected an object from token to id");
        }
        ObjectIntHashMap<String> ids = new ObjectIntHashMap<>(map.size());
        int maxId = -1;
        for (Map.Entry<?, ?> e : map.entrySet()) {
            String token = (String) e.getKey();
            if (!(e.getValue() instanceof Long id) || id < 0 || id >= Integer.MAX_VALUE) {
                throw new TokenizerFormatException(vocabFile, "key " + Json.quote(token),
                        "the id " + e.getValue() + " is not an integer in [0, " + Integer.MAX_VALUE + ")");
            }
            if (token.isEmpty()) {
                throw new TokenizerFormatException(vocabFile, "key \"\"", "a token cannot be empty");
            }
            if (id > 2L * map.size() + 1024) { // ids index an array: refuse sparse ids rather than run out of memory
                throw new TokenizerFormatException(vocabFile, "key " + Json.quote(token), "the id " + id
                        + " is far beyond the " + map.size() + " tokens; ids should run from 0 without large gaps");
            }
            ids.put(token, id.intValue());
            maxId = Math.max(maxId, id.intValue());
        }
        String[] tokens = new String[maxId + 1];
        for (Map.Entry<?, ?> e : map.entrySet()) {
            int id = ((Long) e.getValue()).intValue();
            if (tokens[id] != null) {
                throw new TokenizerFormatException(vocabFile, "key " + Json.quote((String) e.getKey()),
                        "id " + id + " is already the id of " + Json.quote(tokens[id]));
            }
            tokens[id] = (String) e.getKey();
        }

        String[] lines = mergesText.split("\n", -1);
        long[] merges = new long[lines.length];
        int count = 0;
        LongLongHashMap pairs = new LongLongHashMap(lines.length);
        ObjectIntHashMap<String> keyRank = joinedKeys ? new ObjectIntHashMap<>(lines.length) : null;
        for (int n = 0; n < lines.length; n++) {
            String line = lines[n].endsWith("\r") ? lines[n].substring(0, lines[n].length() - 1) : lines[n];
            if ((n == 0 && line.startsWith("#version")) || (line.isEmpty() && n == lines.length - 1)) {
                continue;
            }
            String where = "line " + (n + 1);
            int space = line.indexOf(' ');
            if (space <= 0 || space == line.length() - 1 || line.indexOf(' ', space + 1) >= 0) {
                throw new TokenizerFormatException(mergesFile, where,
                        "expected two tokens separated by one space but found " + Json.quote(line));
            }
            String left = line.substring(0, space);
            String right = line.substring(space + 1);
            int a = idOf(ids, left, mergesFile, where, vocabFile);
            int b = idOf(ids, right, mergesFile, where, vocabFile);
            int merged = idOf(ids, left + right, mergesFile, where, vocabFile);
            long key = pairKey(a, b);
            if (pairs.containsKey(key)) {
                int first = (int) (pairs.get(key) >>> 32);
                throw new TokenizerFormatException(mergesFile, where, "duplicate merge " + Json.quote(line)
                        + ", first given as merge " + first);
            }
            pairs.put(key, ((long) count << 32) | merged);
            merges[count++] = key;
            if (keyRank != null) {
                keyRank.put(left + "," + right, count - 1);
            }
        }
        merges = Arrays.copyOf(merges, count);
        if (keyRank != null) {
            addJoinedKeyPairs(ids, tokens, merges, pairs, keyRank);
        }
        return new BpeModel(ids, tokens, merges, pairs);
    }

    /**
     * gpt-3-encoder keys its rank table by {@code String([left, right])}, that is
     * {@code left + "," + right}, so a pair of tokens that joins to a merge's key takes that merge's
     * rank: in GPT-2's vocabulary, 11 pairs such as {@code ("\",", "\"")}, each merging to the same
     * token as the merge it aliases. OpenAI's encoder does not merge them.
     */
    private static void addJoinedKeyPairs(ObjectIntHashMap<String> ids, String[] tokens, long[] merges,
            LongLongHashMap pairs, ObjectIntHashMap<String> keyRank) {
        for (int rank = 0; rank < merges.length; rank++) {
            String key = tokens[(int) (merges[rank] >>> 32)] + "," + tokens[(int) merges[rank]];
            for (int p = key.indexOf(','); p >= 0; p = key.indexOf(',', p + 1)) {
                String left = key.substring(0, p);
                String right = key.substring(p + 1);
                int a = ids.getIfAbsent(left, -1);
                int b = ids.getIfAbsent(right, -1);
                int merged = ids.getIfAbsent(left + right, -1);
                if (a >= 0 && b >= 0 && merged >= 0 && !pairs.containsKey(pairKey(a, b))) {
                    pairs.put(pairKey(a, b), ((long) keyRank.get(key) << 32) | merged);
                }
            }
        }
    }

    private static int idOf(ObjectIntHashMap<String> ids, String token, Path file, String where, Path vocabFile)
            throws TokenizerFormatException {
        int id = ids.getIfAbsent(token, -1);
        if (id < 0) {
            throw new TokenizerFormatException(file, where, "the merge names " + Json.quote(token)
                    + ", which is not in " + vocabFile);
        }
        return id;
    }

    /** Words longer than this are merged with a heap, in O(n log n), instead of by rescanning rounds. */
    static final int HEAP_FROM = 48;

    /**
     * Applies the merges to a word, lowest rank first, as GPT-2's {@code bpe()} does.
     *
     * <p>Each round finds the adjacent pair with the lowest rank, then merges every occurrence of
     * that pair from left to right. Among equal ranks (only possible with joined keys) the last
     * position wins, as in gpt-3-encoder.
     *
     * @param word the symbol ids, overwritten
     * @return the number of ids left at the start of {@code word}
     */
    public int merge(int[] word) {
        return word.length > HEAP_FROM ? mergeWithHeap(word) : mergeByRounds(word);
    }

    /**
     * {@link #merge} as GPT-2's code does it: each round rescans the word, so long words take
     * quadratic time.
     *
     * @param word the symbol ids, overwritten
     * @return the number of ids left
     */
    public int mergeByRounds(int[] word) {
        int n = word.length;
        while (n > 1) {
            long best = Long.MAX_VALUE;
            int at = -1;
            for (int i = 0; i + 1 < n; i++) {
                long v = pairs.getIfAbsent(pairKey(word[i], word[i + 1]), -1L);
                if (v >= 0 && (v >>> 32) <= (best >>> 32)) {
                    best = v;
                    at = i;
                }
            }
            if (at < 0) {
                break;
            }
            int a = word[at];
            int b = word[at + 1];
            int merged = (int) best;
            int w = 0;
            for (int i = 0; i < n; ) {
                if (i + 1 < n && word[i] == a && word[i + 1] == b) {
                    word[w++] = merged;
                    i += 2;
                } else {
                    word[w++] = word[i++];
                }
            }
            n = w;
        }
        return n;
    }

    /**
     * {@link #merge} with the same rounds, in O(n log n): the symbols form a linked list and a heap
     * holds (rank, position) of every mergeable pair, entries going stale when a neighbour merges.
     * A round pops all valid entries of the lowest rank, picks the pair at the last of them, and
     * merges its occurrences from left to right; pairs made during the round wait for the next.
     *
     * @param word the symbol ids, overwritten
     * @return the number of ids left
     */
    public int mergeWithHeap(int[] word) {
        int n = word.length;
        if (n < 2) {
            return n;
        }
        int[] next = new int[n];
        int[] prev = new int[n];
        for (int i = 0; i < n; i++) {
            next[i] = i + 1 < n ? i + 1 : -1;
            prev[i] = i - 1;
        }
        LongHeap heap = new LongHeap(n);
        for (int i = 0; i + 1 < n; i++) {
            long v = pairs.getIfAbsent(pairKey(word[i], word[i + 1]), -1L);
            if (v >= 0) {
                heap.push(((v >>> 32) << 32) | i);
            }
        }
        long[] round = new long[16];
        while (!heap.isEmpty()) {
            int count = 0;
            long rank = -1;
            while (!heap.isEmpty() && (rank < 0 || heap.peek() >>> 32 == rank)) {
                long entry = heap.pop();
                int pos = (int) entry;
                long v = next[pos] == -2 || next[pos] < 0 ? -1 : pairs.getIfAbsent(pairKey(word[pos], word[next[pos]]), -1L);
                if (v < 0 || v >>> 32 != entry >>> 32) {
                    continue; // stale: a neighbour has merged
                }
                rank = entry >>> 32;
                if (count == round.length) {
                    round = Arrays.copyOf(round, count * 2);
                }
                round[count++] = pos;
            }
            if (count == 0) {
                break;
            }
            int last = (int) round[count - 1];
            int a = word[last];
            int b = word[next[last]];
            int merged = (int) pairs.get(pairKey(a, b));
            for (int k = 0; k < count; k++) {
                int pos = (int) round[k];
                if (next[pos] == -2 || next[pos] < 0) {
                    continue;
                }
                if (word[pos] != a || word[next[pos]] != b) {
                    heap.push((rank << 32) | pos); // another pair of the same rank: a later round
                    continue;
                }
                int gone = next[pos];
                word[pos] = merged;
                next[pos] = next[gone];
                if (next[gone] >= 0) {
                    prev[next[gone]] = pos;
                }
                next[gone] = -2; // removed
                if (prev[pos] >= 0) {
                    pushPair(heap, word, prev[pos], pos);
                }
                if (next[pos] >= 0) {
                    pushPair(heap, word, pos, next[pos]);
                }
            }
        }
        int w = 0;
        for (int i = 0; i >= 0; i = next[i]) {
            word[w++] = word[i];
        }
        return w;
    }

    private void pushPair(LongHeap heap, int[] word, int left, int right) {
        long v = pairs.getIfAbsent(pairKey(word[left], word[right]), -1L);
        if (v >= 0) {
            heap.push(((v >>> 32) << 32) | left);
        }
    }

    /** A binary min-heap of longs. */
    private static final class LongHeap {
        private long[] a;
        private int size;

        LongHeap(int capacity) {
            a = new long[Math.max(4, capacity)];
        }

        boolean isEmpty() {
            return size == 0;
        }

        long peek() {
            return a[0];
        }

        void push(long x) {
            if (size == a.length) {
                a = Arrays.copyOf(a, size * 2);
            }
            int i = size++;
            while (i > 0 && a[(i - 1) / 2] > x) {
                a[i] = a[(i - 1) / 2];
                i = (i - 1) / 2;
            }
            a[i] = x;
        }

        long pop() {
            long top = a[0];
            long x = a[--size];
            int i = 0;
            while (true) {
                int c = 2 * i + 1;
                if (c >= size) {
                    break;
                }
                if (c + 1 < size && a[c + 1] < a[c]) {
                    c++;
                }
                if (a[c] >= x) {
                    break;
                }
                a[i] = a[c];
                i = c;
            }
            a[i] = x;
            return top;
        }
    }

    /**
     * Returns a token's id.
     *
     * @param token the token
     * @return its id, or -1
     */
    public int id(String token) {
        return ids.getIfAbsent(token, -1);
    }

    /**
     * Returns the token with an id.
     *
     * @param id the id
     * @return the token, or {@code null} if no token has that id
     */
    public String token(int id) {
        return id >= 0 && id < tokens.length ? tokens[id] : null;
    }

    /**
     * Returns one more than the largest id.
     *
     * @return the id range
     */
    public int idRange() {
        return tokens.length;
    }

    /**
     * Returns the number of merges.
     *
     * @return the merge count
     */
    public int mergeCount() {
        return merges.length;
    }

    /**
     * Writes the vocabulary as a JSON object (one token per line, in id order) and the merges in
     * rank order after a {@code #version: 0.2} line, each file atomically.
     *
     * @param vocabFile  the {@code vocab.json} to write
     * @param mergesFile the {@code merges.txt} to write
     * @throws IOException if writing fails
     */
    public void save(Path vocabFile, Path mergesFile) throws IOException {
        StringBuilder v = new StringBuilder("{");
        String sep = "\n";
        for (int id = 0; id < tokens.length; id++) {
            if (tokens[id] != null) {
                v.append(sep).append(Json.quote(tokens[id])).append(": ").append(id);
                sep = ",\n";
            }
        }
        v.append("\n}\n");
        StringBuilder m = new StringBuilder("#version: 0.2\n");
        for (long merge : merges) {
            m.append(tokens[(int) (merge >>> 32)]).append(' ').append(tokens[(int) merge]).append('\n');
        }
        TextFiles.writeAtomically(vocabFile, v.toString());
        TextFiles.writeAtomically(mergesFile, m.toString());
    }
}
