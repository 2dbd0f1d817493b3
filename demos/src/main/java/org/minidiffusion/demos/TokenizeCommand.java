package org.minidiffusion.demos;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.minidiffusion.text.ByteLevelBpe;
import org.minidiffusion.text.ClipTokenizer;
import org.minidiffusion.text.Unigram;

/**
 * {@code tokenize}: prints the tokens and ids that a tokenizer gives for a text, with GPT-2's
 * bundled vocabulary, CLIP's or BPE vocabulary files, or a SentencePiece/T5 Unigram vocabulary.
 */
final class TokenizeCommand {
    /** The command line of {@code tokenize}. */
    static final CliCommand COMMAND = CliCommand.named("tokenize", "Print the tokens and ids that a tokenizer gives for a text.")
            .arguments("TEXT", "the text, quoted")
            .option("bpe", "gpt2|clip|DIR", "a byte-level BPE: gpt2, the bundled GPT-2 vocabulary; clip, CLIP's rules"
                    + " (lower-case, </w>, start and end tokens, 77 ids) with the vocabulary of --vocab; DIR, the"
                    + " vocab.json and merges.txt (or encoder.json and vocab.bpe) of DIR")
            .option("vocab", "DIR|FILE", "for --bpe clip: Hugging Face's vocab.json and merges.txt in DIR, or OpenAI's"
                    + " bpe_simple_vocab_16e6.txt.gz")
            .option("unigram", "FILE", "a Unigram tokenizer: a tokenizer.json (\"type\": \"Unigram\") or a"
                    + " piece<TAB>score file")
            .build();

    private TokenizeCommand() {
    }

    /**
     * Runs the command.
     *
     * @param p   the options and the text
     * @param out where the tokens and ids go
     * @throws IOException if a vocabulary file cannot be read or is malformed (the message names it)
     */
    static void run(Cli.Invocation p, PrintStream out) throws IOException {
        List<String> texts = p.arguments();
        if (texts.size() > 1) {
            throw new UsageException("tokenize takes one text, but '" + texts.get(0) + "' and '" + texts.get(1)
                    + "' were given; quote the text");
        }
        if (texts.isEmpty()) {
            throw new UsageException("tokenize needs the text to tokenize, in quotes");
        }
        String text = texts.get(0);
        Options o = p.options();
        if (o.has("bpe") == o.has("unigram")) {
            throw new UsageException("tokenize needs exactly one of --bpe and --unigram");
        }
        try {
            if (o.has("unigram")) {
                unigram(o.path("unigram", null), text, out);
            } else {
                bpe(o.string("bpe", null), o.has("vocab") ? o.path("vocab", null) : null, text, out);
            }
        } catch (IllegalArgumentException e) {
            throw new DemoException(e.getMessage(), e);
        }
    }

    private static void bpe(String which, Path vocabDir, String text, PrintStream out) throws IOException {
        if (which.equals("clip")) {
            if (vocabDir == null) {
                throw new UsageException("--bpe clip needs --vocab DIR with CLIP's vocab.json and merges.txt, or --vocab"
                        + " FILE with OpenAI's bpe_simple_vocab_16e6.txt.gz (no CLIP vocabulary is bundled)");
            }
            ClipTokenizer clip = Files.isDirectory(vocabDir)
                    ? ClipTokenizer.load(vocabDir.resolve("vocab.json"), vocabDir.resolve("merges.txt"))
                    : ClipTokenizer.loadOpenAi(vocabDir, ClipTokenizer.OPENAI_MERGES);
            ClipTokenizer.Encoding e = clip.encode(text);
            out.println("cleaned: " + ClipTokenizer.clean(text));
            out.println("tokens:  " + clip.tokens(text));
            out.println("ids:     " + Arrays.toString(Arrays.copyOf(e.ids(), e.eosPosition() + 1)) + " then "
                    + (e.ids().length - e.eosPosition() - 1) + " x " + clip.endId() + " (padding to "
                    + e.ids().length + "); end token at " + e.eosPosition());
            return;
        }
        if (vocabDir != null) {
            throw new UsageException("--vocab goes with --bpe clip only");
        }
        ByteLevelBpe bpe;
        if (which.equals("gpt2")) {
            bpe = ByteLevelBpe.gpt2();
        } else {
            Path dir = Path.of(which);
            boolean hf = Files.exists(dir.resolve("vocab.json"));
            bpe = ByteLevelBpe.load(dir.resolve(hf ? "vocab.json" : "encoder.json"), dir.resolve(hf ? "merges.txt" : "vocab.bpe"),
                    ByteLevelBpe.Flavour.OPENAI);
        }
        int[] ids = bpe.encode(text);
        out.println("tokens: " + bpe.tokens(text));
        out.println("ids:    " + Arrays.toString(ids));
        out.println(ids.length + " tokens; decoded: " + bpe.decode(ids));
    }

    private static void unigram(Path file, String text, PrintStream out) throws IOException {
        Unigram u = file.getFileName().toString().endsWith(".json") ? Unigram.loadTokenizerJson(file) : Unigram.loadTsv(file);
        int[] ids = u.encode(text);
        out.println("pieces: " + u.pieces(text));
        out.println("ids:    " + Arrays.toString(ids) + (u.eosId() >= 0 ? " (add " + u.eosId() + " for </s>)" : ""));
        out.println(ids.length + " tokens; decoded: " + u.decode(ids));
    }
}
