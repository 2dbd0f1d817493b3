package org.minidiffusion.text.caption;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.minidiffusion.text.BpeTrainer;
import org.minidiffusion.text.ClipTokenizer;
import org.minidiffusion.text.Unigram;
import org.minidiffusion.text.UnigramTrainer;

/**
 * The two trainers on a small caption corpus: trained, saved, loaded back, and run on the held-out
 * prompts, which neither tokenizer has seen.
 */
class CaptionTokenizerTests {
    static List<String> corpus;
    static List<String> prompts;

    @BeforeAll
    static void corpus() {
        int n = 1500;
        int[] labels = new int[n];
        Tone[] tones = new Tone[n];
        for (int i = 0; i < n; i++) {
            labels[i] = i % 10;
            tones[i] = Tone.values()[(i / 10) % 3];
        }
        corpus = Captioner.captionAll(labels, tones, Split.TRAINING, 42);
        prompts = new ArrayList<>();
        for (FashionClass c : FashionClass.values()) {
            for (Tone t : Tone.values()) {
                prompts.addAll(Captioner.evaluationPrompts(c.label(), t));
            }
        }
    }

    /** CLIP's decode: the cleaned text, split as CLIP splits it, pieces joined by spaces. */
    static String clipWords(String text) {
        return String.join(" ", text.replace("-", " - ").replace(",", " ,").trim().split(" +"));
    }

    @Test
    void clipBpeKeepsEveryCaptionWordWholeAndRoundTrips(@TempDir Path dir) throws IOException {
        ClipTokenizer trained = BpeTrainer.trainClip(corpus, 2000, 2);
        trained.save(dir.resolve("vocab.json"), dir.resolve("merges.txt"));
        ClipTokenizer clip = ClipTokenizer.load(dir.resolve("vocab.json"), dir.resolve("merges.txt"));
        int size = clip.vocabSize();
        assertTrue(size > 514 && size < 2000, size + " tokens"); // it stops once every word is one token
        assertEquals(size - 2, clip.startId());
        assertEquals(size - 1, clip.endId());
        // Every word of the training captions is one token, so every held-out prompt is one token per word.
        for (String word : Captioner.vocabulary()) {
            assertEquals(List.of(word + "</w>"), clip.tokens(word), word);
        }
        for (String p : prompts) {
            int[] ids = clip.encodeIds(p);
            assertArrayEquals(trained.encodeIds(p), ids, p);
            assertEquals(clipWords(p), clip.decode(ids), p);
            List<String> tokens = clip.tokens(p);
            assertEquals(List.of(clipWords(p).split(" ")), tokens.stream().map(t -> t.replace("</w>", "")).toList(), p);
            ClipTokenizer.Encoding e = clip.encode(p);
            assertEquals(clip.startId(), e.ids()[0]);
            assertEquals(clip.endId(), e.ids()[e.eosPosition()]);
        }
        // An unknown word falls back to smaller pieces, down to bytes, and still round-trips.
        List<String> zebra = clip.tokens("Zebra ÉTÉ");
        assertTrue(zebra.size() > 2, zebra.toString());
        assertEquals("zebra été", clip.decode(clip.encodeIds("Zebra ÉTÉ")));
    }

    @Test
    void clipBpeTieBreakWorkedByHand(@TempDir Path dir) throws IOException {
        // "aa Bb" -> words "aa" and "bb" -> [a, a</w>] and [b, b</w>]: one pair each; "a" < "b" merges first.
        ClipTokenizer clip = BpeTrainer.trainClip(List.of("aa Bb"), 516, 1);
        clip.save(dir.resolve("vocab.json"), dir.resolve("merges.txt"));
        assertEquals("#version: 0.2\na a</w>\nb b</w>\n", Files.readString(dir.resolve("merges.txt")));
        assertEquals(516, clip.vocabSize());
        assertEquals(512, clip.id("aa</w>"));
        assertEquals(513, clip.id("bb</w>"));
        assertEquals(List.of("aa</w>", "bb</w>"), clip.tokens("AA bb"));
        assertEquals(List.of("a", "aa</w>"), clip.tokens("aaa")); // no merge (a, a): only (a, a</w>) was learnt
        assertEquals(256, clip.id("a</w>") - clip.id("a"));
        // Asked for one merge, it stops there; with a minimum frequency of 2, nothing merges.
        assertEquals(List.of("aa</w>", "b", "b</w>"), BpeTrainer.trainClip(List.of("aa bb"), 515, 1).tokens("aa bb"));
        assertEquals(514, BpeTrainer.trainClip(List.of("aa bb"), 600, 2).vocabSize());
        assertEquals("vocabulary size 513 is below the 512 byte tokens plus 2 special tokens",
                org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                        () -> BpeTrainer.trainClip(List.of("a"), 513, 1)).getMessage());
    }

    @Test
    void unigramHasNoUnknownPieceOnHeldOutPrompts(@TempDir Path dir) throws IOException {
        Unigram trained = UnigramTrainer.train(corpus, 300);
        Path file = dir.resolve("unigram.tsv");
        trained.saveTsv(file);
        Unigram unigram = Unigram.loadTsv(file);
        assertEquals(trained.vocabSize(), unigram.vocabSize());
        int pieces = 0;
        int words = 0;
        for (String p : prompts) {
            int[] ids = unigram.encode(p);
            assertArrayEquals(trained.encode(p), ids, p);
            for (int id : ids) {
                assertTrue(id != unigram.unkId(), p + " -> " + unigram.pieces(p));
            }
            assertEquals(p, unigram.decode(ids));
            pieces += ids.length;
            words += p.split(" ").length;
        }
        // Held-out prompts are new combinations of known words: about one piece per word.
        assertTrue(pieces < 1.5 * words, pieces + " pieces for " + words + " words");
        // Unigram is case-sensitive and the captions are lower-case: a character never seen is <unk>.
        int[] ids = unigram.encode("a Zebra");
        assertTrue(java.util.Arrays.stream(ids).anyMatch(id -> id == unigram.unkId()), unigram.pieces("a Zebra").toString());
    }
}
