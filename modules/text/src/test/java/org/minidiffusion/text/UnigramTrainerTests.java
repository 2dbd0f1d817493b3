package org.minidiffusion.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Unigram EM trainer, compared with SentencePiece's on the same corpus and vocabulary size. */
class UnigramTrainerTests {
    /** Trains ours at SentencePiece's size, prints the comparison, and returns {share of pieces in common, our tokens per char, theirs}. */
    static double[] compare(List<String> corpus, Unigram ours, String theirsTsv) throws Exception {
        Unigram theirs = Unigram.loadTsv(UnigramTests.resource(theirsTsv));
        int size = theirs.vocabSize();
        assertEquals(size, ours.vocabSize());
        Set<String> a = new HashSet<>();
        Set<String> b = new HashSet<>();
        for (int i = 3; i < size; i++) {
            a.add(ours.piece(i));
            b.add(theirs.piece(i));
        }
        Set<String> common = new HashSet<>(a);
        common.retainAll(b);
        long chars = 0;
        long ourTokens = 0;
        long theirTokens = 0;
        for (String line : corpus) {
            chars += line.length();
            ourTokens += ours.encode(line).length;
            theirTokens += theirs.encode(line).length;
            assertEquals(line, ours.decode(ours.encode(line)));
        }
        double share = common.size() / (double) (size - 3);
        double ourRate = ourTokens / (double) chars;
        double theirRate = theirTokens / (double) chars;
        System.out.printf("Unigram trainer vs SentencePiece, corpus.txt, %d pieces: %d of %d pieces in common (%.1f%%);"
                + " tokens per character %.4f (ours) vs %.4f (SentencePiece)%n", size, common.size(), size - 3, 100 * share,
                ourRate, theirRate);
        System.out.println("only ours: " + a.stream().filter(x -> !b.contains(x)).sorted().limit(25).toList());
        System.out.println("only SentencePiece's: " + b.stream().filter(x -> !a.contains(x)).sorted().limit(25).toList());
        return new double[] {share, ourRate, theirRate};
    }

    @Test
    void comparesWithSentencePieceOnTheSameCorpusAndSize(@TempDir Path dir) throws Exception {
        List<String> corpus = BpeTrainerTests.corpus();
        Unigram ours = UnigramTrainer.train(corpus, 400);
        double[] at400 = compare(corpus, ours, "unigram_unk.tsv");
        assertTrue(at400[0] > 0.3, "pieces in common: " + at400[0]);
        assertTrue(at400[1] < at400[2] * 1.15, at400[1] + " vs " + at400[2]);
        double[] at150 = compare(corpus, UnigramTrainer.train(corpus, 150), "unigram_unk150.tsv");
        assertTrue(at150[0] > 0.6, "pieces in common: " + at150[0]);
        assertTrue(at150[1] < at150[2] * 1.15, at150[1] + " vs " + at150[2]);

        Path tsv = dir.resolve("trained.tsv");
        ours.saveTsv(tsv);
        Unigram loaded = Unigram.loadTsv(tsv);
        for (String line : corpus.subList(0, 50)) {
            assertArrayEquals(ours.encode(line), loaded.encode(line), line);
        }
    }

    @Test
    void pruningReachesASmallSize() throws Exception {
        List<String> corpus = BpeTrainerTests.corpus();
        Unigram small = UnigramTrainer.train(corpus, 150); // EM alone stops near 436 pieces: pruning must act
        assertEquals(150, small.vocabSize());
        long tokens = 0;
        for (String line : corpus) {
            int[] ids = small.encode(line);
            assertEquals(line, small.decode(ids));
            for (int id : ids) {
                assertTrue(id != small.unkId(), line); // every character of the corpus is kept
            }
            tokens += ids.length;
        }
        Unigram large = UnigramTrainer.train(corpus, 400);
        long largeTokens = corpus.stream().mapToLong(l -> large.encode(l).length).sum();
        assertTrue(tokens > largeTokens, tokens + " tokens with 150 pieces, " + largeTokens + " with 400");
        assertEquals(small.pieces("a photo of a dark sneaker"), UnigramTrainer.train(corpus, 150).pieces("a photo of a dark sneaker"));
    }

    @Test
    void digammaMatchesKnownValues() {
        // SentencePiece's series is accurate to about 1e-10.
        assertEquals(-0.5772156649015329, UnigramTrainer.digamma(1), 1e-9); // -Euler-Mascheroni
        assertEquals(1.5061176684318003, UnigramTrainer.digamma(5), 1e-9);
        assertEquals(Math.log(1000) - 1 / 2000.0, UnigramTrainer.digamma(1000), 1e-7);
    }
}
