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
    @Test
    void comparesWithSentencePieceOnTheSameCorpusAndSize(@TempDir Path dir) throws Exception {
        List<String> corpus = BpeTrainerTests.corpus();
        Unigram ours = UnigramTrainer.train(corpus, 400);
        Unigram theirs = Unigram.loadTsv(UnigramTests.resource("unigram_unk.tsv"));
        assertEquals(400, ours.vocabSize());
        Set<String> a = new HashSet<>();
        Set<String> b = new HashSet<>();
        for (int i = 3; i < 400; i++) {
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
        double share = common.size() / 397.0;
        double ourRate = ourTokens / (double) chars;
        double theirRate = theirTokens / (double) chars;
        System.out.printf("Unigram trainer vs SentencePiece, corpus.txt, 400 pieces: %d of 397 pieces in common (%.1f%%);"
                + " tokens per character %.4f (ours) vs %.4f (SentencePiece)%n", common.size(), 100 * share, ourRate, theirRate);
        System.out.println("only ours: " + a.stream().filter(x -> !b.contains(x)).sorted().limit(25).toList());
        System.out.println("only SentencePiece's: " + b.stream().filter(x -> !a.contains(x)).sorted().limit(25).toList());
        assertTrue(share > 0.3, "pieces in common: " + share);
        assertTrue(ourRate < theirRate * 1.15, ourRate + " vs " + theirRate);

        Path tsv = dir.resolve("trained.tsv");
        ours.saveTsv(tsv);
        Unigram loaded = Unigram.loadTsv(tsv);
        for (String line : corpus.subList(0, 50)) {
            assertArrayEquals(ours.encode(line), loaded.encode(line), line);
        }
    }

    @Test
    void digammaMatchesKnownValues() {
        // SentencePiece's series is accurate to about 1e-10.
        assertEquals(-0.5772156649015329, UnigramTrainer.digamma(1), 1e-9); // -Euler-Mascheroni
        assertEquals(1.5061176684318003, UnigramTrainer.digamma(5), 1e-9);
        assertEquals(Math.log(1000) - 1 / 2000.0, UnigramTrainer.digamma(1000), 1e-7);
    }
}
