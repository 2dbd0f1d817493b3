package org.minidiffusion.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * CLIP's tokenizer on a handmade vocabulary (no CLIP vocabulary is available offline): expected
 * tokens worked out by hand from the merges, and properties on random text.
 */
class ClipTokenizerTests {
    static final String[] MERGES = {"h e", "l l", "he ll", "hell o</w>", "c a", "ca t</w>", "a b</w>"};
    @TempDir
    static Path dir;
    static ClipTokenizer clip;

    /** Writes a CLIP-style vocabulary: 256 bytes, 256 bytes + "</w>", the merges, the two special tokens. */
    static Path[] writeVocab(Path dir, String... merges) throws IOException {
        StringBuilder v = new StringBuilder("{");
        int id = 0;
        for (int k = 0; k < 256; k++) {
            v.append(Json.quote(String.valueOf(ByteUnicode.charOf(ByteUnicode.byteInOrder(k))))).append(": ").append(id++).append(", ");
        }
        for (int k = 0; k < 256; k++) {
            v.append(Json.quote(ByteUnicode.charOf(ByteUnicode.byteInOrder(k)) + "</w>")).append(": ").append(id++).append(", ");
        }
        for (String m : merges) {
            v.append(Json.quote(m.replace(" ", ""))).append(": ").append(id++).append(", ");
        }
        v.append("\"<|startoftext|>\": ").append(id++).append(", \"<|endoftext|>\": ").append(id).append("}");
        Path vocab = dir.resolve("vocab.json");
        Path mergesFile = dir.resolve("merges.txt");
        Files.writeString(vocab, v);
        Files.writeString(mergesFile, "#version: 0.2\n" + String.join("\n", merges) + "\n");
        return new Path[] {vocab, mergesFile};
    }

    @BeforeAll
    static void load() throws IOException {
        Path[] files = writeVocab(dir, MERGES);
        clip = ClipTokenizer.load(files[0], files[1]);
    }

    @Test
    void cleansLowerCasesAndMarksWordEnds() {
        assertEquals(List.of("hello</w>", ",</w>", "cat</w>", "!</w>"), clip.tokens("Hello, CAT!"));
        assertEquals(List.of("a</w>", "ca", "b</w>"), clip.tokens("  A\tcab\n"));
        assertEquals(List.of("ca", "ab</w>"), clip.tokens("caab"));
        assertEquals(List.of("1</w>", "2</w>"), clip.tokens("12"));
        assertEquals(List.of("'", "s</w>"), clip.tokens("'S"));
        assertEquals("hello , cat !", clip.decode(clip.encode("Hello, CAT!").ids()));
    }

    @Test
    void cleaningFollowsTheFtfyLessPath() {
        assertEquals("hello world", ClipTokenizer.clean("  Hello\tWORLD\n\n"));
        assertEquals("ab", ClipTokenizer.clean("a\u200Db\u0000\uFFFD"));
        assertEquals("中 文 x", ClipTokenizer.clean("中文x"));
        assertEquals("\u00e9", ClipTokenizer.clean("E\u0301"));
        assertEquals("a b", ClipTokenizer.clean("a\u00a0\u2028b"));
        assertEquals("", ClipTokenizer.clean(" \t "));
        // every C* category goes: private use, unassigned, lone surrogates; NFC comes after cleaning
        assertEquals("ab", ClipTokenizer.clean("a\uE000\u0378\uD800b"));
        assertEquals("\u00e9", ClipTokenizer.clean("e\u200B\u0301"));
    }

    @Test
    void framesPadsAndTruncatesToTheContextLength() {
        int sot = clip.startId();
        int eot = clip.endId();
        ClipTokenizer.Encoding e = clip.encode("hello cat");
        assertEquals(77, e.ids().length);
        assertEquals(3, e.eosPosition());
        assertArrayEquals(new int[] {sot, clip.id("hello</w>"), clip.id("cat</w>"), eot, eot}, java.util.Arrays.copyOf(e.ids(), 5));
        assertEquals(4, java.util.Arrays.stream(e.attentionMask()).sum());
        ClipTokenizer.Encoding empty = clip.encode("", 4, 0);
        assertArrayEquals(new int[] {sot, eot, 0, 0}, empty.ids());
        assertArrayEquals(new int[] {1, 1, 0, 0}, empty.attentionMask());
        ClipTokenizer.Encoding cut = clip.encode("hello ".repeat(100), 5, 0);
        int hello = clip.id("hello</w>");
        assertArrayEquals(new int[] {sot, hello, hello, hello, eot}, cut.ids());
        assertEquals(4, cut.eosPosition());
        IllegalArgumentException x = assertThrows(IllegalArgumentException.class, () -> clip.encode("a", 1, 0));
        assertEquals("context length 1 leaves no room for the start and end tokens (it must be at least 2)", x.getMessage());
        assertArrayEquals(new int[] {sot, eot}, clip.encodeIds("<|startoftext|><|ENDOFTEXT|>"));
    }

    @Test
    void propertiesHoldOnRandomText() {
        String alphabet = "hellocat HELLO,.!?'s 12 \t\n\u00e9\u4e2d\uD83D\uDE00\u200D\u0301";
        SplittableRandom random = new SplittableRandom(77);
        for (int tried = 0; tried < 2000; tried++) {
            StringBuilder b = new StringBuilder();
            int len = random.nextInt(120);
            for (int i = 0; i < len; i++) {
                b.append(alphabet.charAt(random.nextInt(alphabet.length())));
            }
            String s = b.toString();
            ClipTokenizer.Encoding e = clip.encode(s);
            int eos = e.eosPosition();
            assertEquals(clip.startId(), e.ids()[0], s);
            assertEquals(clip.endId(), e.ids()[eos], s);
            for (int i = 0; i < 77; i++) {
                assertEquals(i <= eos ? 1 : 0, e.attentionMask()[i], s);
                if (i > eos) {
                    assertEquals(clip.endId(), e.ids()[i], s);
                }
            }
            int[] ids = clip.encodeIds(s);
            assertEquals(Math.min(ids.length, 75) + 1, eos, s);
            // decode gives the cleaned text's pieces, separated by spaces
            String expected = replaceLoneSurrogates(String.join(" ", PreTokenizer.clip(ClipTokenizer.clean(s))));
            assertEquals(ByteLevelBpeTests.quoteForReport(expected), ByteLevelBpeTests.quoteForReport(clip.decode(ids)),
                    ByteLevelBpeTests.quoteForReport(s));
        }
    }

    static String replaceLoneSurrogates(String s) {
        StringBuilder b = new StringBuilder();
        s.codePoints().forEach(c -> b.appendCodePoint(Character.isSurrogate((char) c) && c < 0x10000 ? 0xFFFD : c));
        return b.toString();
    }

    @Test
    void openAisMergesFileGivesTheSameTokenizer(@TempDir Path tmp) throws IOException {
        Path file = tmp.resolve("bpe_simple_vocab.txt");
        Files.writeString(file, "\"bpe_simple_vocab_16e6.txt#version: 0.2\n" + String.join("\n", MERGES) + "\nz z\n");
        ClipTokenizer openai = ClipTokenizer.loadOpenAi(file, MERGES.length);
        for (String s : List.of("Hello, CAT!", "caab hello", "a b c 12 \u00e9\u4e2d")) {
            assertArrayEquals(clip.encode(s).ids(), openai.encode(s).ids(), s);
        }
        assertEquals(clip.endId(), openai.endId());
        TokenizerFormatException e = assertThrows(TokenizerFormatException.class, () -> ClipTokenizer.loadOpenAi(file, 20));
        assertEquals(file + ": line 10: the file has 8 merges, fewer than the 20 asked for", e.getMessage());
    }

    @Test
    void wordsMadeOfLowerCaseLettersAndSingleSpacesRoundTrip() {
        assertEquals("hello cat a caab", clip.decode(clip.encode("hello cat a caab").ids()));
    }
}
