package org.minidiffusion.demos;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.minidiffusion.text.BpeTrainer;
import org.minidiffusion.text.ClipTokenizer;
import org.minidiffusion.text.Unigram;
import org.minidiffusion.text.UnigramTrainer;
import org.minidiffusion.text.caption.Captioner;
import org.minidiffusion.text.caption.Split;
import org.minidiffusion.text.caption.Tone;

/** The train-tokenizer command: its files load back into the same tokenizer, and tokenize reads them. */
class TrainTokenizerCommandTests {
    @TempDir
    Path dir;
    Path corpusFile;
    List<String> corpus;

    @BeforeEach
    void writeCorpus() throws IOException {
        int n = 600;
        int[] labels = new int[n];
        Tone[] tones = new Tone[n];
        for (int i = 0; i < n; i++) {
            labels[i] = i % 10;
            tones[i] = Tone.values()[i % 3];
        }
        corpus = Captioner.captionAll(labels, tones, Split.TRAINING, 9);
        corpusFile = dir.resolve("captions.txt");
        Files.writeString(corpusFile, String.join("\n", corpus) + "\n");
    }

    @Test
    void bpeFilesLoadBackAsTheTrainedClipTokenizer() throws IOException {
        Path out = dir.resolve("bpe");
        DemoRun run = DemoRun.of("train-tokenizer", "--bpe", "--vocab-size", "1000", "--corpus", corpusFile.toString(),
                "--out", out.toString());
        assertEquals(0, run.code(), run.toString());
        assertTrue(run.out().startsWith("trained a CLIP BPE of "), run.toString());
        ClipTokenizer loaded = ClipTokenizer.load(out.resolve("vocab.json"), out.resolve("merges.txt"));
        ClipTokenizer direct = BpeTrainer.trainClip(corpus, 1000, TrainTokenizerCommand.DEFAULT_MIN_FREQUENCY);
        assertEquals(direct.vocabSize(), loaded.vocabSize());
        for (String p : TrainTokenizerCommand.heldOutPrompts()) {
            assertArrayEquals(direct.encode(p).ids(), loaded.encode(p).ids(), p);
        }
        DemoRun tokenize = DemoRun.of("tokenize", "--bpe", "clip", "--vocab", out.toString(), "A pale Sneaker");
        assertEquals(0, tokenize.code(), tokenize.toString());
        assertTrue(tokenize.out().contains("tokens:  [a</w>, pale</w>, sneaker</w>]"), tokenize.toString());
    }

    @Test
    void unigramFileLoadsBackAsTheTrainedUnigram() throws IOException {
        Path out = dir.resolve("unigram");
        DemoRun run = DemoRun.of("train-tokenizer", "--unigram", "--vocab-size", "120", "--corpus", corpusFile.toString(),
                "--out", out.toString());
        assertEquals(0, run.code(), run.toString());
        assertTrue(run.out().contains("held-out prompts, 0 of them with <unk>"), run.toString());
        Unigram loaded = Unigram.loadTsv(out.resolve(TrainTokenizerCommand.UNIGRAM_FILE));
        Unigram direct = UnigramTrainer.train(corpus, 120);
        assertEquals(direct.vocabSize(), loaded.vocabSize());
        for (String p : TrainTokenizerCommand.heldOutPrompts()) {
            assertArrayEquals(direct.encode(p), loaded.encode(p), p);
        }
        DemoRun tokenize = DemoRun.of("tokenize", "--unigram", out.resolve(TrainTokenizerCommand.UNIGRAM_FILE).toString(),
                "a pale sneaker");
        assertEquals(0, tokenize.code(), tokenize.toString());
    }

    @Test
    void badCommandLinesAndFilesAreOneLineErrors() throws IOException {
        String c = corpusFile.toString();
        String o = dir.resolve("x").toString();
        assertError(DemoRun.of("train-tokenizer", "--bpe", "--unigram", "--vocab-size", "600", "--corpus", c, "--out", o), 2,
                "error: train-tokenizer needs exactly one of --bpe and --unigram (see 'minidiffusion train-tokenizer --help')");
        assertError(DemoRun.of("train-tokenizer", "--bpe", "--corpus", c, "--out", o), 2,
                "error: train-tokenizer needs --vocab-size (see 'minidiffusion train-tokenizer --help')");
        assertError(DemoRun.of("train-tokenizer", "--unigram", "--vocab-size", "100", "--min-frequency", "3", "--corpus", c,
                "--out", o), 2, "error: --min-frequency goes with --bpe only (see 'minidiffusion train-tokenizer --help')");
        assertError(DemoRun.of("train-tokenizer", "--bpe", "--vocab-size", "300", "--corpus", c, "--out", o), 1,
                "error: vocabulary size 300 is below the 512 byte tokens plus 2 special tokens");
        Path missing = dir.resolve("none.txt");
        assertError(DemoRun.of("train-tokenizer", "--bpe", "--vocab-size", "600", "--corpus", missing.toString(), "--out", o),
                1, "error: no corpus file " + missing + "; write one with 'captions'");
        Path blank = dir.resolve("blank.txt");
        Files.writeString(blank, "\n  \n");
        assertError(DemoRun.of("train-tokenizer", "--unigram", "--vocab-size", "600", "--corpus", blank.toString(), "--out",
                o), 1, "error: " + blank + ": the corpus has no text (every line is blank)");
        assertFalse(Files.exists(Path.of(o).resolve("vocab.json")));
    }

    private static void assertError(DemoRun run, int code, String line) {
        assertEquals(code, run.code(), run.toString());
        assertEquals(line + System.lineSeparator(), run.err(), run.toString());
    }
}
