package org.minidiffusion.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The BPE trainer: its tie-break on a corpus worked out by hand, and train, save, load, encode, decode. */
class BpeTrainerTests {
    static List<String> corpus() throws IOException {
        try (InputStream in = BpeTrainerTests.class.getResourceAsStream("/corpus.txt")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().toList();
        }
    }

    @Test
    void tiesGoToTheLexicographicallySmallestPair(@TempDir Path dir) throws IOException {
        // "aa bb" -> words "aa" and "Ġbb": (a,a), (Ġ,b) and (b,b) occur once each; "a" < "b" < "Ġ".
        ByteLevelBpe bpe = BpeTrainer.train(List.of("aa bb"), 259, 1, List.of());
        bpe.save(dir.resolve("vocab.json"), dir.resolve("merges.txt"));
        assertEquals("#version: 0.2\na a\nb b\nĠ bb\n", Files.readString(dir.resolve("merges.txt")));
        assertEquals(List.of("aa", "Ġbb"), bpe.tokens("aa bb"));
        // With a minimum frequency of 2 nothing merges.
        assertEquals(256, BpeTrainer.train(List.of("aa bb"), 300, 2, List.of()).vocabSize());
        // The most frequent pairs, (Ġ,b) and (b,b) twice, win over the smaller (a,a); between them "b" < "Ġ".
        ByteLevelBpe one = BpeTrainer.train(List.of("aa bb bb"), 257, 1, List.of());
        assertEquals(List.of("a", "a", "Ġ", "bb", "Ġ", "bb"), one.tokens("aa bb bb"));
    }

    @Test
    void trainSaveLoadEncodeDecode(@TempDir Path dir) throws IOException {
        List<String> corpus = corpus();
        ByteLevelBpe trained = BpeTrainer.train(corpus, 1000, 2, List.of("<|endoftext|>"));
        assertEquals(1000, trained.vocabSize());
        assertEquals(999, trained.id("<|endoftext|>"));
        Path vocab = dir.resolve("vocab.json");
        Path merges = dir.resolve("merges.txt");
        trained.save(vocab, merges);
        ByteLevelBpe loaded = ByteLevelBpe.load(vocab, merges, ByteLevelBpe.Flavour.OPENAI);
        assertEquals(1000, loaded.vocabSize());
        int tokens = 0;
        int chars = 0;
        for (String line : corpus.subList(0, 100)) {
            int[] ids = loaded.encode(line);
            assertArrayEquals(trained.encode(line), ids, line);
            assertEquals(line, loaded.decode(ids));
            tokens += ids.length;
            chars += line.length();
        }
        assertTrue(tokens < chars / 3, tokens + " tokens for " + chars + " characters");
        assertEquals("héllo wörld 😀", loaded.decode(loaded.encode("héllo wörld 😀")));
        assertEquals(List.of("Ġsneaker"), loaded.tokens(" sneaker"));
    }

    @Test
    void badSettingsAreClearErrors() {
        assertEquals("vocabulary size 200 is below the 256 byte tokens plus 0 special tokens",
                assertThrows(IllegalArgumentException.class, () -> BpeTrainer.train(List.of("a"), 200, 1, List.of())).getMessage());
        assertEquals("minimum frequency 0 must be at least 1",
                assertThrows(IllegalArgumentException.class, () -> BpeTrainer.train(List.of("a"), 300, 0, List.of())).getMessage());
    }
}
