package org.minidiffusion.text;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import org.eclipse.collections.impl.map.mutable.primitive.ObjectDoubleHashMap;
import org.eclipse.collections.impl.map.mutable.primitive.ObjectIntHashMap;

/**
 * Trains a Unigram vocabulary with EM as SentencePiece does (Kudo 2018, "Subword Regularization",
 * section 3.2): seed a large vocabulary with the frequent substrings of the corpus, then repeat:
 * EM re-estimates the piece probabilities, and the pieces whose removal costs the likelihood least
 * are pruned, keeping {@value #SHRINKING_FACTOR} of them, until the requested size is reached.
 *
 * <p>Differences from SentencePiece, stated: the seeds are all substrings of up to
 * {@value #MAX_PIECE_LENGTH} characters that occur at least twice, ranked by frequency times
 * length, instead of the maximal repeats of a suffix array; words are split at spaces (SentencePiece's
 * {@code split_by_whitespace}) and weighted by their count. Every character of the corpus is kept
 * ({@code character_coverage=1.0}). The result has {@code <unk>}, {@code <s>}, {@code </s>} as ids
 * 0, 1, 2, then the pieces by descending score (ties by piece, in UTF-16 order).
 */
public final class UnigramTrainer {
    static final int MAX_PIECE_LENGTH = 16;
    static final double SHRINKING_FACTOR = 0.75;
    private static final int SUB_ITERATIONS = 2;
    private static final int SEED_FACTOR = 10;
    private static final String SPACE = "\u2581";

    private UnigramTrainer() {
    }

    /**
     * Trains a Unigram tokenizer.
     *
     * @param lines     the corpus, one sentence per element
     * @param vocabSize the number of pieces, including {@code <unk>}, {@code <s>} and {@code </s>}
     * @return the tokenizer; {@link Unigram#saveTsv} writes it
     * @throws IllegalArgumentException if {@code vocabSize} cannot hold the three special pieces and
     *         every character of the corpus
     */
    public static Unigram train(Iterable<String> lines, int vocabSize) {
        ObjectIntHashMap<String> words = new ObjectIntHashMap<>();
        for (String line : lines) {
            String norm = Unigram.normalize(line);
            for (String w : norm.split("(?=" + SPACE + ")")) {
                if (!w.isEmpty()) {
                    words.addToValue(w, 1);
                }
            }
        }
        List<String> wordList = new ArrayList<>(words.keySet());
        wordList.sort(null);
        int[][] cps = new int[wordList.size()][];
        int[] counts = new int[wordList.size()];
        for (int w = 0; w < cps.length; w++) {
            cps[w] = wordList.get(w).codePoints().toArray();
            counts[w] = words.get(wordList.get(w));
        }

        // Seeds: every character, and the frequent substrings ranked by frequency x length.
        ObjectIntHashMap<String> chars = new ObjectIntHashMap<>();
        ObjectIntHashMap<String> substrings = new ObjectIntHashMap<>();
        for (int w = 0; w < cps.length; w++) {
            int[] c = cps[w];
            for (int i = 0; i < c.length; i++) {
                chars.addToValue(new String(c, i, 1), counts[w]);
                for (int len = 2; len <= MAX_PIECE_LENGTH && i + len <= c.length; len++) {
                    if (c[i + len - 1] == 0x2581) {
                        break; // ▁ only at the start of a piece
                    }
                    substrings.addToValue(new String(c, i, len), counts[w]);
                }
            }
        }
        int required = chars.size();
        if (vocabSize < required + 3) {
            throw new IllegalArgumentException("vocabulary size " + vocabSize + " cannot hold the 3 special pieces and the "
                    + required + " characters of the corpus");
        }
        List<String> seeds = new ArrayList<>();
        substrings.forEachKeyValue((s, f) -> {
            if (f >= 2) {
                seeds.add(s);
            }
        });
        seeds.sort(Comparator.<String>comparingLong(s -> -(long) substrings.get(s) * s.codePointCount(0, s.length()))
                .thenComparing(Comparator.naturalOrder()));
        ObjectDoubleHashMap<String> pieces = new ObjectDoubleHashMap<>();
        chars.forEachKeyValue((s, f) -> pieces.put(s, f));
        for (String s : seeds.subList(0, Math.min(seeds.size(), SEED_FACTOR * vocabSize))) {
            pieces.put(s, substrings.get(s) * (double) s.codePointCount(0, s.length()));
        }
        toLogProb(pieces);

        int target = vocabSize - 3;
        int desired = (int) (target * 1.1); // SentencePiece prunes to 10% above the size, then keeps the best
        while (true) {
            for (int it = 0; it < SUB_ITERATIONS; it++) {
                ObjectDoubleHashMap<String> expected = expectedCounts(pieces, cps, counts);
                // M-step with SentencePiece's Bayesian update: log p = digamma(count) - digamma(total).
                double total = 0;
                List<String> kept = new ArrayList<>();
                for (String s : sorted(pieces)) {
                    double e = expected.getIfAbsent(s, 0);
                    if (e >= 0.5 || chars.containsKey(s)) {
                        kept.add(s);
                        total += e;
                    }
                }
                double logTotal = digamma(total);
                pieces.clear();
                for (String s : kept) {
                    double e = Math.max(expected.getIfAbsent(s, 0), 1e-3);
                    pieces.put(s, digamma(e) - logTotal);
                }
            }
            if (pieces.size() <= desired) {
                break;
            }
            prune(pieces, chars, cps, counts, Math.max(desired, (int) (SHRINKING_FACTOR * pieces.size())));
        }

        // Finalise: every character, then the best pieces by score.
        List<String> order = sorted(pieces);
        order.sort(Comparator.comparingDouble((String s) -> -pieces.get(s)).thenComparing(Comparator.naturalOrder()));
        List<String> chosen = new ArrayList<>();
        java.util.Set<String> inVocab = new java.util.HashSet<>();
        for (String s : order) {
            if (chars.containsKey(s)) {
                chosen.add(s);
                inVocab.add(s);
            }
        }
        for (String s : order) {
            if (chosen.size() >= target) {
                break;
            }
            if (inVocab.add(s)) {
                chosen.add(s);
            }
        }
        chosen.sort(Comparator.comparingDouble((String s) -> -pieces.get(s)).thenComparing(Comparator.naturalOrder()));
        String[] names = new String[chosen.size() + 3];
        float[] scores = new float[names.length];
        names[0] = "<unk>";
        names[1] = "<s>";
        names[2] = "</s>";
        for (int i = 0; i < chosen.size(); i++) {
            names[i + 3] = chosen.get(i);
            scores[i + 3] = (float) pieces.get(chosen.get(i));
        }
        return Unigram.fromPieces(names, scores);
    }

    private static List<String> sorted(ObjectDoubleHashMap<String> pieces) {
        List<String> keys = new ArrayList<>(pieces.keySet());
        keys.sort(null);
        return keys;
    }

    private static void toLogProb(ObjectDoubleHashMap<String> pieces) {
        double sum = pieces.sum();
        double logSum = Math.log(sum);
        for (String s : sorted(pieces)) {
            pieces.put(s, Math.log(pieces.get(s)) - logSum);
        }
    }

    /** Splits a word into the pieces that may start at each position: (start) -&gt; list of {end, piece}. */
    private static List<List<Object[]>> lattice(int[] word, ObjectDoubleHashMap<String> pieces) {
        List<List<Object[]>> starts = new ArrayList<>(word.length);
        for (int i = 0; i < word.length; i++) {
            List<Object[]> here = new ArrayList<>();
            for (int len = 1; len <= MAX_PIECE_LENGTH && i + len <= word.length; len++) {
                String s = new String(word, i, len);
                if (pieces.containsKey(s)) {
                    here.add(new Object[] {i + len, s});
                }
            }
            starts.add(here);
        }
        return starts;
    }

    /** E-step: the expected count of every piece under the current probabilities (forward-backward). */
    private static ObjectDoubleHashMap<String> expectedCounts(ObjectDoubleHashMap<String> pieces, int[][] words, int[] counts) {
        ObjectDoubleHashMap<String> expected = new ObjectDoubleHashMap<>();
        for (int w = 0; w < words.length; w++) {
            int n = words[w].length;
            List<List<Object[]>> lattice = lattice(words[w], pieces);
            double[] alpha = new double[n + 1];
            double[] beta = new double[n + 1];
            Arrays.fill(alpha, Double.NEGATIVE_INFINITY);
            Arrays.fill(beta, Double.NEGATIVE_INFINITY);
            alpha[0] = 0;
            for (int i = 0; i < n; i++) {
                for (Object[] edge : lattice.get(i)) {
                    int e = (int) edge[0];
                    alpha[e] = logAdd(alpha[e], alpha[i] + pieces.get((String) edge[1]));
                }
            }
            beta[n] = 0;
            for (int i = n - 1; i >= 0; i--) {
                for (Object[] edge : lattice.get(i)) {
                    beta[i] = logAdd(beta[i], pieces.get((String) edge[1]) + beta[(int) edge[0]]);
                }
            }
            double z = alpha[n];
            for (int i = 0; i < n; i++) {
                for (Object[] edge : lattice.get(i)) {
                    String s = (String) edge[1];
                    double p = Math.exp(alpha[i] + pieces.get(s) + beta[(int) edge[0]] - z);
                    expected.addToValue(s, counts[w] * p);
                }
            }
        }
        return expected;
    }

    /** The best segmentation of a word, as pieces. */
    private static List<String> viterbi(int[] word, ObjectDoubleHashMap<String> pieces, String without) {
        int n = word.length;
        double[] best = new double[n + 1];
        int[] from = new int[n + 1];
        String[] last = new String[n + 1];
        Arrays.fill(best, Double.NEGATIVE_INFINITY);
        best[0] = 0;
        List<List<Object[]>> lattice = lattice(word, pieces);
        for (int i = 0; i < n; i++) {
            if (best[i] == Double.NEGATIVE_INFINITY) {
                continue;
            }
            for (Object[] edge : lattice.get(i)) {
                String s = (String) edge[1];
                int e = (int) edge[0];
                double score = best[i] + pieces.get(s);
                if (!s.equals(without) && score > best[e]) {
                    best[e] = score;
                    from[e] = i;
                    last[e] = s;
                }
            }
        }
        if (best[n] == Double.NEGATIVE_INFINITY) {
            return List.of();
        }
        List<String> out = new ArrayList<>();
        for (int e = n; e > 0; e = from[e]) {
            out.add(0, last[e]);
        }
        return out;
    }

    /**
     * Keeps the {@code size} pieces whose removal would lose the most likelihood (SentencePiece's
     * {@code PruneSentencePieces}). A piece that no best segmentation uses, or whose own best
     * segmentation splits it, goes at once; a piece with no other segmentation (a character)
     * stays. For the others, removing piece s moves its Viterbi count f to the pieces of its best
     * segmentation without it, and the loss is F (log p(s) - sum log p'(alternatives)), where F is
     * the share of words (by count) that use s.
     */
    private static void prune(ObjectDoubleHashMap<String> pieces, ObjectIntHashMap<String> chars, int[][] words,
            int[] counts, int size) {
        ObjectDoubleHashMap<String> freq = new ObjectDoubleHashMap<>();
        ObjectDoubleHashMap<String> wordsUsing = new ObjectDoubleHashMap<>();
        double totalWords = 0;
        for (int w = 0; w < words.length; w++) {
            totalWords += counts[w];
            java.util.Set<String> used = new java.util.HashSet<>();
            for (String s : viterbi(words[w], pieces, null)) {
                freq.addToValue(s, counts[w]);
                used.add(s);
            }
            for (String s : used) {
                wordsUsing.addToValue(s, counts[w]);
            }
        }
        double sum = freq.sum();
        double logSum = Math.log(sum);
        List<String> candidates = new ArrayList<>();
        ObjectDoubleHashMap<String> loss = new ObjectDoubleHashMap<>();
        List<String> remove = new ArrayList<>();
        int kept = 0;
        for (String s : sorted(pieces)) {
            if (chars.containsKey(s)) {
                kept++;
                continue;
            }
            double f = freq.getIfAbsent(s, 0);
            int[] cps = s.codePoints().toArray();
            if (f == 0 || viterbi(cps, pieces, null).size() > 1) {
                remove.add(s); // unused, or never its own best segmentation: safe to remove
                continue;
            }
            List<String> alternatives = viterbi(cps, pieces, s);
            double newSum = sum + f * (alternatives.size() - 1);
            double logProbAlt = 0;
            for (String a : alternatives) {
                logProbAlt += Math.log(freq.getIfAbsent(a, 0) + f) - Math.log(newSum);
            }
            double logProb = Math.log(f) - logSum;
            loss.put(s, wordsUsing.get(s) / totalWords * (logProb - logProbAlt));
            candidates.add(s);
        }
        candidates.sort(Comparator.comparingDouble((String s) -> -loss.get(s)).thenComparing(Comparator.naturalOrder()));
        int keep = Math.max(0, size - kept);
        remove.addAll(candidates.subList(Math.min(keep, candidates.size()), candidates.size()));
        for (String s : remove) {
            pieces.remove(s);
        }
    }

    private static double logAdd(double a, double b) {
        if (a == Double.NEGATIVE_INFINITY) {
            return b;
        }
        if (b == Double.NEGATIVE_INFINITY) {
            return a;
        }
        double max = Math.max(a, b);
        return max + Math.log1p(Math.exp(Math.min(a, b) - max));
    }

    /** The digamma function, as SentencePiece computes it (recurrence to x &gt;= 7, then the asymptotic series). */
    static double digamma(double x) {
        double result = 0;
        for (; x < 7; x++) {
            result -= 1 / x;
        }
        x -= 1.0 / 2.0;
        double xx = 1.0 / x;
        double xx2 = xx * xx;
        double xx4 = xx2 * xx2;
        result += Math.log(x) + (1.0 / 24.0) * xx2 - (7.0 / 960.0) * xx4 + (31.0 / 8064.0) * xx4 * xx2
                - (127.0 / 30720.0) * xx4 * xx4;
        return result;
    }
}
