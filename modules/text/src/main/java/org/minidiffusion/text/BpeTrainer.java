package org.minidiffusion.text;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.eclipse.collections.impl.list.mutable.primitive.LongArrayList;
import org.eclipse.collections.impl.map.mutable.primitive.LongIntHashMap;
import org.eclipse.collections.impl.map.mutable.primitive.LongLongHashMap;
import org.eclipse.collections.impl.map.mutable.primitive.ObjectIntHashMap;

/**
 * Learns byte-level BPE merges from a corpus (Sennrich et al. 2016, on bytes as in GPT-2), in
 * GPT-2's form ({@link #train}) or CLIP's ({@link #trainClip}).
 *
 * <p>Each line is split by the tokenizer's pattern and the words are counted. The vocabulary
 * starts with the 256 byte tokens, in the order of GPT-2's ids 0..255 (for CLIP, followed by the
 * same 256 with {@code </w>}, the form of a word's last byte). Each round merges the adjacent pair
 * that occurs most often, counting each word as often as it occurs; ties go to the pair whose
 * left token, then right token, is smallest in UTF-16 order (so the result does not depend on
 * hash order). Training stops at the requested vocabulary size, or when the best pair occurs
 * fewer than {@code minFrequency} times. Special tokens are added last.
 */
public final class BpeTrainer {
    private static final String END_OF_WORD = "</w>";

    private BpeTrainer() {
    }

    /**
     * Trains a GPT-2 style tokenizer.
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
        checkSettings(vocabSize, 256, specialTokens.size(), minFrequency);
        ObjectIntHashMap<String> wordCounts = new ObjectIntHashMap<>();
        for (String line : lines) {
            Utf8.requireWellFormed(line);
            for (String piece : PreTokenizer.gpt2(line, PreTokenizer.Whitespace.UNICODE)) {
                wordCounts.addToValue(piece, 1);
            }
        }
        BpeModel model = learn(wordCounts, false, vocabSize - specialTokens.size(), minFrequency, specialTokens);
        try {
            return ByteLevelBpe.of(model, ByteLevelBpe.Flavour.OPENAI, Path.of("trained vocabulary"));
        } catch (TokenizerFormatException e) {
            throw new IllegalStateException("the trained vocabulary lacks a byte token", e); // cannot happen: all 256 are added first
        }
    }

    /**
     * Trains a CLIP style tokenizer: each line is cleaned and lower-cased by
     * {@link ClipTokenizer#clean}, split by CLIP's pattern, and each word's last byte carries
     * {@code </w>}, as in OpenAI's {@code simple_tokenizer.py}. The vocabulary is laid out as
     * CLIP's: the 256 byte tokens, the same 256 with {@code </w>}, one token per merge, then
     * {@code <|startoftext|>} and {@code <|endoftext|>}. Those two, if they occur in the corpus, are
     * not counted as words.
     *
     * @param lines        the corpus, one text per element
     * @param vocabSize    the vocabulary size to reach, at least 514 (512 byte tokens and the two special tokens)
     * @param minFrequency the least number of occurrences of a pair to merge it, at least 1
     * @return the tokenizer; save it with {@link ClipTokenizer#save}
     * @throws IllegalArgumentException for a size too small or {@code minFrequency < 1}
     */
    public static ClipTokenizer trainClip(Iterable<String> lines, int vocabSize, int minFrequency) {
        checkSettings(vocabSize, 512, 2, minFrequency);
        ObjectIntHashMap<String> wordCounts = new ObjectIntHashMap<>();
        for (String line : lines) {
            for (String piece : PreTokenizer.clip(ClipTokenizer.clean(line))) {
                if (!piece.equals(ClipTokenizer.START) && !piece.equals(ClipTokenizer.END)) {
                    wordCounts.addToValue(piece, 1);
                }
            }
        }
        BpeModel model = learn(wordCounts, true, vocabSize - 2, minFrequency,
                List.of(ClipTokenizer.START, ClipTokenizer.END));
        try {
            return ClipTokenizer.of(model, Path.of("trained vocabulary"));
        } catch (TokenizerFormatException e) {
            throw new IllegalStateException("the trained vocabulary lacks a byte or special token", e); // cannot happen
        }
    }

    private static void checkSettings(int vocabSize, int byteTokens, int specialTokens, int minFrequency) {
        if (vocabSize < byteTokens + specialTokens) {
            throw new IllegalArgumentException("vocabulary size " + vocabSize + " is below the " + byteTokens
                    + " byte tokens plus " + specialTokens + " special tokens");
        }
        if (minFrequency < 1) {
            throw new IllegalArgumentException("minimum frequency " + minFrequency + " must be at least 1");
        }
    }

    /**
     * Learns the merges of counted words until the vocabulary has {@code target} tokens, then adds the special tokens.
     *
     * @param wordEnd whether a word's last byte is the {@code </w>} form (CLIP) or the plain one (GPT-2)
     */
    private static BpeModel learn(ObjectIntHashMap<String> wordCounts, boolean wordEnd, int target, int minFrequency,
            List<String> specialTokens) {
        List<String> tokens = new ArrayList<>();
        ObjectIntHashMap<String> ids = new ObjectIntHashMap<>();
        int[] byteId = new int[256];
        int[] lastByteId = new int[256];
        for (String suffix : wordEnd ? List.of("", END_OF_WORD) : List.of("")) {
            for (int k = 0; k < 256; k++) {
                int b = ByteUnicode.byteInOrder(k);
                String token = ByteUnicode.charOf(b) + suffix;
                (suffix.isEmpty() ? byteId : lastByteId)[b] = tokens.size();
                ids.put(token, tokens.size());
                tokens.add(token);
            }
        }
        if (!wordEnd) {
            lastByteId = byteId;
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
                words[w][i] = (i == bytes.length - 1 ? lastByteId : byteId)[bytes[i] & 0xFF];
            }
            lengths[w] = bytes.length;
            counts[w] = wordCounts.get(word);
        }

        LongArrayList merges = new LongArrayList();
        LongLongHashMap pairs = new LongLongHashMap();
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
        return new BpeModel(ids, tokens.toArray(new String[0]), merges.toArray(), pairs);
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
