package org.minidiffusion.demos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The tokenize command, in-process. */
class TokenizeCommandTests {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(String... args) {
        return Demos.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @Test
    void gpt2PrintsTokensAndIds() {
        assertEquals(0, run("tokenize", "--bpe", "gpt2", "Hello world"));
        String n = System.lineSeparator();
        assertEquals("tokens: [Hello, Ġworld]" + n + "ids:    [15496, 995]" + n + "2 tokens; decoded: Hello world" + n,
                out.toString(StandardCharsets.UTF_8));
    }

    @Test
    void unigramPrintsPiecesAndIds(@TempDir Path dir) throws IOException {
        Path tsv = dir.resolve("spm.tsv");
        Files.writeString(tsv, "<unk>\t0\n<s>\t0\n</s>\t0\n\u2581a\t-1\n\u2581cat\t-2\n\u2581\t-3\nc\t-4\na\t-4\nt\t-4\n");
        assertEquals(0, run("tokenize", "--unigram", tsv.toString(), "a cat"));
        assertTrue(out.toString(StandardCharsets.UTF_8).startsWith("pieces: [\u2581a, \u2581cat]" + System.lineSeparator()
                + "ids:    [3, 4] (add 2 for </s>)"), out.toString(StandardCharsets.UTF_8));
    }

    @Test
    void errorsAreOneLine(@TempDir Path dir) throws IOException {
        assertEquals(2, run("tokenize", "--bpe", "gpt2"));
        assertTrue(err.toString(StandardCharsets.UTF_8).startsWith("error: tokenize needs the text to tokenize, in quotes"));
        err.reset();
        assertEquals(2, run("tokenize", "--bpe", "clip", "a photo"));
        assertTrue(err.toString(StandardCharsets.UTF_8).startsWith("error: --bpe clip needs --vocab DIR"), err.toString(StandardCharsets.UTF_8));
        err.reset();
        Path bad = dir.resolve("bad.tsv");
        Files.writeString(bad, "<unk>\t0\nx\n");
        assertEquals(1, run("tokenize", "--unigram", bad.toString(), "x"));
        assertEquals("error: " + bad + ": line 2: expected piece<TAB>score but found \"x\"" + System.lineSeparator(),
                err.toString(StandardCharsets.UTF_8));
    }
}
