package org.minidiffusion.demos;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.minidiffusion.text.BpeTrainer;
import org.minidiffusion.text.ClipTokenizer;
import org.minidiffusion.text.Unigram;
import org.minidiffusion.text.UnigramTrainer;
import org.minidiffusion.text.caption.Captioner;
import org.minidiffusion.text.caption.FashionClass;
import org.minidiffusion.text.caption.Tone;

/**
 * {@code train-tokenizer}: trains a CLIP-style BPE or a SentencePiece-style Unigram tokenizer on a
 * corpus, one text per line, and writes the files that {@link ClipTokenizer#load} and
 * {@link Unigram#loadTsv} read back.
 */
final class TrainTokenizerCommand {
    /** The file name of a trained Unigram vocabulary. */
    static final String UNIGRAM_FILE = "unigram.tsv";
    /** The default least number of occurrences of a pair for BPE to merge it. */
    static final int DEFAULT_MIN_FREQUENCY = 2;
    /** The command line of {@code train-tokenizer}. */
    static final CliCommand COMMAND = CliCommand.named("train-tokenizer",
                    "Train a tokenizer on a text file, one text per line (such as the output of 'captions').")
            .details("Then prints how it splits the held-out caption prompts.")
            .flag("bpe", "CLIP's byte-level BPE (lower-case, </w>, start and end tokens; --vocab-size at least 514),"
                    + " written as DIR/vocab.json and DIR/merges.txt for 'tokenize --bpe clip --vocab DIR'")
            .flag("unigram", "SentencePiece's Unigram, written as DIR/" + UNIGRAM_FILE
                    + " (piece<TAB>score) for 'tokenize --unigram'")
            .option("vocab-size", "N", "the vocabulary's size (required)")
            .option("corpus", "FILE", "the texts, one per line (required)")
            .option("out", "DIR", "where to write the tokenizer (required)")
            .option("min-frequency", "N", "BPE merges pairs seen at least N times; --bpe only (default: "
                    + DEFAULT_MIN_FREQUENCY + ")")
            .build();

    private TrainTokenizerCommand() {
    }

    /**
     * Runs the command.
     *
     * @param o   the parsed options
     * @param out where the summary goes
     * @throws IOException if the corpus cannot be read or the files cannot be written
     */
    static void run(Options o, PrintStream out) throws IOException {
        if (o.flag("bpe") == o.flag("unigram")) {
            throw new UsageException("train-tokenizer needs exactly one of --bpe and --unigram");
        }
        for (String required : List.of("vocab-size", "corpus", "out")) {
            if (!o.has(required)) {
                throw new UsageException("train-tokenizer needs --" + required);
            }
        }
        int vocabSize = o.intValue("vocab-size", 0, 1, 1_000_000);
        int minFrequency = o.intValue("min-frequency", DEFAULT_MIN_FREQUENCY, 1, Integer.MAX_VALUE);
        if (o.has("min-frequency") && o.flag("unigram")) {
            throw new UsageException("--min-frequency goes with --bpe only");
        }
        Path corpusFile = o.path("corpus", null);
        Path dir = o.path("out", null);
        List<String> corpus;
        try {
            corpus = Files.readString(corpusFile, StandardCharsets.UTF_8).lines().filter(l -> !l.isBlank()).toList();
        } catch (NoSuchFileException e) {
            throw new DemoException("no corpus file " + corpusFile + "; write one with 'captions'", e);
        } catch (java.nio.charset.MalformedInputException e) {
            throw new DemoException(corpusFile + ": the corpus is not valid UTF-8", e);
        }
        if (corpus.isEmpty()) {
            throw new DemoException(corpusFile + ": the corpus has no text (every line is blank)");
        }
        Files.createDirectories(dir);
        List<String> prompts = heldOutPrompts();
        if (o.flag("bpe")) {
            ClipTokenizer clip = BpeTrainer.trainClip(corpus, vocabSize, minFrequency);
            clip.save(dir.resolve("vocab.json"), dir.resolve("merges.txt"));
            ClipTokenizer loaded = ClipTokenizer.load(dir.resolve("vocab.json"), dir.resolve("merges.txt"));
            out.printf(Locale.ROOT, "trained a CLIP BPE of %,d tokens on %,d lines of %s: %s, %s%n",
                    loaded.vocabSize(), corpus.size(), corpusFile, dir.resolve("vocab.json"), dir.resolve("merges.txt"));
            if (loaded.vocabSize() < vocabSize) {
                out.printf(Locale.ROOT, "(fewer than the %,d asked for: no pair of the corpus occurs %d times or more"
                        + " once these merges are made)%n", vocabSize, minFrequency);
            }
            out.printf(Locale.ROOT, "tokens per space-separated word: %.3f on the corpus, %.3f on the %,d held-out prompts%n",
                    tokensPerWord(corpus, t -> loaded.encodeIds(t).length),
                    tokensPerWord(prompts, t -> loaded.encodeIds(t).length), prompts.size());
            String example = prompts.get(0);
            out.println("example: \"" + example + "\" -> " + loaded.tokens(example));
        } else {
            Unigram unigram = UnigramTrainer.train(corpus, vocabSize);
            Path file = dir.resolve(UNIGRAM_FILE);
            unigram.saveTsv(file);
            Unigram loaded = Unigram.loadTsv(file);
            out.printf(Locale.ROOT, "trained a Unigram of %,d pieces on %,d lines of %s: %s%n", loaded.vocabSize(),
                    corpus.size(), corpusFile, file);
            if (loaded.vocabSize() < vocabSize) {
                out.printf(Locale.ROOT, "(fewer than the %,d asked for: EM kept no more pieces with an expected count"
                        + " of at least 0.5)%n", vocabSize);
            }
            int withUnknown = 0;
            for (String p : prompts) {
                for (int id : loaded.encode(p)) {
                    if (id == loaded.unkId()) {
                        withUnknown++;
                        break;
                    }
                }
            }
            out.printf(Locale.ROOT, "tokens per space-separated word: %.3f on the corpus, %.3f on the %,d held-out prompts, %d of them"
                    + " with <unk>%n", tokensPerWord(corpus, t -> loaded.encode(t).length),
                    tokensPerWord(prompts, t -> loaded.encode(t).length), prompts.size(), withUnknown);
            String example = prompts.get(0);
            out.println("example: \"" + example + "\" -> " + loaded.pieces(example));
        }
    }

    /** Every evaluation prompt, class by class and tone by tone. */
    static List<String> heldOutPrompts() {
        List<String> prompts = new ArrayList<>();
        for (FashionClass c : FashionClass.values()) {
            for (Tone t : Tone.values()) {
                prompts.addAll(Captioner.evaluationPrompts(c.label(), t));
            }
        }
        return prompts;
    }

    private static double tokensPerWord(List<String> texts, java.util.function.ToIntFunction<String> count) {
        long tokens = 0;
        long words = 0;
        for (String t : texts) {
            tokens += count.applyAsInt(t);
            words += t.split(" +").length;
        }
        return (double) tokens / words;
    }
}
