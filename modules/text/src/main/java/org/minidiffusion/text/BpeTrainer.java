package org.minidiffusion.text;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.eclipse.collections.impl.list.mutable.primitive.LongArrayList;
import org.eclipse.collections.impl.map.mutable.primitive.LongIntHashMap;
import org.eclipse.collections.impl.map.mutable.primitive.LongLongHashMap;
import org.eclipse.collections.impl.map.mutable.primitive.ObjectIntHashMap;

/**
 * Learns byte-level BPE merges from a corpus (Sennrich et al. 2016, on bytes as in GPT-2).
 *
 * <p>Each line is split by GPT-2's pattern and the words are counted. The vocabulary starts with
 * the 256 byte tokens, in the order of GPT-2's ids 0..255. Each round merges the adjacent pair
 * that occurs most often, counting each word as often as it occurs; ties go to the pair whose
 * left token, then right token, is smallest in UTF-16 order (so the result does not depend on
 * hash order). Training stops at the requested vocabulary size, or when the best pair occurs
 * fewer than {@code minFrequency} times. Special tokens are added last.
 */
public final class BpeTrainer {
    private BpeTrainer() {
    }

    /**
     * Trains a tokenizer.
     *
     * @param lines         the corpus, one text per element
     * @param vocabSize     the vocabulary size to reach, special tokens included (at least 256 plus their count)
     * @param minFrequency  the least number of occurrences of a pair to merge it, at least 1
     * @param specialTokens tokens added at the end of the vocabulary, such as {@code <|endoftext|>}
     * @return the tokenizer, in the {@link ByteLevelBpe.Flavour#OPENAI} flavour; save it with
     *         {@link ByteLevelBpe#save}
     * @throws IllegalArgumentException for a size too small, {@code minFrequency < 1}, or a special
     *         token that is empty or a duplicate
     */
    public static ByteLevelBpe train(Iterable<String> lines, int vocabSize, int minFrequency, List<String> specialTokens) {
        if (vocabSize < 256 + specialTokens.size()) {
            throw new IllegalArgumentException("vocabulary size " + vocabSize + " is below the 256 byte tokens plus "
                    + specialTokens.size() + " special tokens");
        }
        if (minFrequency < 1) {
            throw new IllegalArgumentException("minimum frequency " + minFrequency + " must be at least 1");
        }
        ObjectIntHashMap<String> wordCounts = new ObjectIntHashMap<>();
        for (String line : lines) {
            Utf8.requireWellFormed(line);
            for (String piece : PreTokenizer.gpt2(line, PreTokenizer.Whitespace.UNICODE)) {
                wordCounts.addToValue(piece, 1);
            }
        }
        List<String> tokens = new ArrayList<>();
        ObjectIntHashMap<String> ids = new ObjectIntHashMap<>();
        int[] byteId = new int[256];
        for (int k = 0; k < 256; k++) {
            int b = ByteUnicode.byteInOrder(k);
            String token = String.valueOf(ByteUnicode.charOf(b));
            byteId[b] = k;
            ids.put(token, k);
            tokens.add(token);
        }
        // The distinct words, as symbol ids, with their counts; sorted so the rounds are reproducible.
        List<String> distinct = new ArrayList<>(wordCounts.keySet());
        distinct.sort(null);
        int[][] words = new int[distinct.size()][];
        int[] lengths = new int[distinct.size()];
        int[] counts = new int[distinct.size()];
        for (int w = 0; w < words.length; w++) {
            String word = distinct.get(w);
            byte[] bytes = Utf8.encode(word, 0, word.length(), false);
            words[w] = new int[bytes.length];
            for (int i = 0; i < bytes.length; i++) {
                words[w][i] = byteId[bytes[i] & 0xFF];
            }
            lengths[w] = bytes.length;
            counts[w] = wordCounts.get(word);
        }

        LongArrayList merges = new LongArrayList();
        LongLongHashMap pairs = new LongLongHashMap();
        int target = vocabSize - specialTokens.size();
        while (ids.size() < target) {
            LongIntHashMap pairCounts = new LongIntHashMap();
            for (int w = 0; w < words.length; w++) {
                for (int i = 0; i + 1 < lengths[w]; i++) {
                    pairCounts.addToValue(BpeModel.pairKey(words[w][i], words[w][i + 1]), counts[w]);
                }
            }
            long[] best = {-1, -1}; // {key, count}
            pairCounts.forEachKeyValue((key, count) -> {
                if (count > best[1] || (count == best[1] && smaller(tokens, key, best[0]))) {
                    best[0] = key;
                    best[1] = count;
                }
            });
            if (best[1] < minFrequency) {
                break;
            }
            int a = (int) (best[0] >>> 32);
            int b = (int) best[0];
            String merged = tokens.get(a) + tokens.get(b);
            int id = ids.getIfAbsent(merged, -1);
            if (id < 0) {
                id = tokens.size();
                ids.put(merged, id);
                tokens.add(merged);
            }
            pairs.put(best[0], ((long) merges.size() << 32) | id);
            merges.add(best[0]);
            for (int w = 0; w < words.length; w++) {
                lengths[w] = mergeAll(words[w], lengths[w], a, b, id);
            }
        }
        for (String special : specialTokens) {
            if (special.isEmpty() || ids.containsKey(special)) {
                throw new IllegalArgumentException("special token \"" + special + "\" is empty or already in the vocabulary");
            }
            ids.put(special, tokens.size());
            tokens.add(special);
        }
        BpeModel model = new BpeModel(ids, tokens.toArray(new String[0]), merges.toArray(), pairs);
        try {
            return ByteLevelBpe.of(model, ByteLevelBpe.Flavour.OPENAI, Path.of("trained vocabulary"));
        } catch (TokenizerFormatException e) {
            throw new IllegalStateException("the trained vocabulary lacks a byte token", e); // cannot happen: all 256 are added first
        }
    }

    private static boolean smaller(List<String> tokens, long key, long than) {
        if (than < 0) {
            return true;
        }
        int c = tokens.get((int) (key >>> 32)).compareTo(tokens.get((int) (than >>> 32)));
        return c < 0 || (c == 0 && tokens.get((int) key).compareTo(tokens.get((int) than)) < 0);
    }

    private static int mergeAll(int[] word, int n, int a, int b, int merged) {
        int w = 0;
        for (int i = 0; i < n; ) {
            if (i + 1 < n && word[i] == a && word[i + 1] == b) {
                word[w++] = merged;
                i += 2;
            } else {
                word[w++] = word[i++];
            }
        }
        return w;
    }
}
