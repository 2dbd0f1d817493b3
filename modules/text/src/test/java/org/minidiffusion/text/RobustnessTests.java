package org.minidiffusion.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Arbitrary Unicode gives ids or a clear error, never a crash or a hang: a seeded fuzz test over
 * every tokenizer, long inputs under a time limit, and the heap merge against GPT-2's rounds.
 */
class RobustnessTests {
    /** The number of random strings each tokenizer encodes. */
    static final int FUZZ_STRINGS = 3000;
    private static final Duration HANG = Duration.ofSeconds(120);

    @TempDir
    static Path dir;
    static ByteLevelBpe js;
    static ByteLevelBpe openai;
    static ClipTokenizer clip;
    static Unigram unigramUnk;
    static Unigram unigramBytes;

    @BeforeAll
    static void load() throws Exception {
        js = ByteLevelBpe.gpt2(ByteLevelBpe.Flavour.GPT3_ENCODER_JS);
        openai = ByteLevelBpe.gpt2();
        Path[] files = ClipTokenizerTests.writeVocab(dir, ClipTokenizerTests.MERGES);
        clip = ClipTokenizer.load(files[0], files[1]);
        unigramUnk = Unigram.loadTsv(UnigramTests.resource("unigram_unk.tsv"));
        unigramBytes = Unigram.loadTsv(UnigramTests.resource("unigram_bytes.tsv"));
    }

    /** Code points drawn from: ASCII, controls, Latin-1, combining marks, CJK, emoji, ZWJ, whitespace, lone surrogates. */
    static String randomText(SplittableRandom r, int maxLength) {
        int[][] ranges = {{0x20, 0x7E}, {0x00, 0x1F}, {0x7F, 0xFF}, {0x300, 0x36F}, {0x4E00, 0x9FFF}, {0x1F300, 0x1FAFF},
                {0x200B, 0x200F}, {0x2000, 0x200A}, {0xD800, 0xDFFF}, {0x600, 0x6FF}, {0xFFF0, 0xFFFF}, {0x10000, 0x10FFFF}};
        StringBuilder b = new StringBuilder();
        int len = r.nextInt(maxLength + 1);
        boolean surrogates = r.nextInt(4) == 0; // a quarter of the strings may have lone surrogates
        while (b.length() < len) {
            int[] range = ranges[r.nextInt(ranges.length)];
            if (range[0] == 0xD800 && !surrogates) {
                continue;
            }
            int c = range[0] + r.nextInt(range[1] - range[0] + 1);
            if (c == 0x2581) {
                continue;
            }
            if (r.nextInt(4) == 0) {
                b.append(' ');
            }
            b.appendCodePoint(c);
        }
        return b.toString();
    }

    static String replaceLone(String s) {
        return ClipTokenizerTests.replaceLoneSurrogates(s);
    }

    static boolean hasLoneSurrogate(String s) {
        return !replaceLone(s).equals(s);
    }

    @Test
    void randomUnicodeGivesIdsOrAClearError() {
        SplittableRandom r = new SplittableRandom(20261202);
        int errors = 0;
        for (int i = 0; i < FUZZ_STRINGS; i++) {
            String s = i == 0 ? "" : randomText(r, 200);
            String where = ByteLevelBpeTests.quoteForReport(s);
            // GPT-2, gpt-3-encoder's flavour: always ids; lone surrogates come back as U+FFFD.
            int[] ids = js.encode(s);
            assertEquals(replaceLone(s), js.decode(ids), where);
            // GPT-2, OpenAI's flavour: a lone surrogate is an error naming it.
            if (hasLoneSurrogate(s)) {
                try {
                    openai.encode(s);
                    fail("no error for " + where);
                } catch (IllegalArgumentException e) {
                    assertTrue(e.getMessage().startsWith("the text has a lone surrogate U+D"), e.getMessage());
                    errors++;
                }
            } else {
                assertEquals(s, openai.decode(openai.encode(s)), where);
            }
            // CLIP: the cleaned pieces, separated by spaces; always framed.
            assertEquals(replaceLone(String.join(" ", PreTokenizer.clip(ClipTokenizer.clean(s)))),
                    clip.decode(clip.encodeIds(s)), where);
            ClipTokenizer.Encoding e = clip.encode(s);
            assertEquals(clip.endId(), e.ids()[e.eosPosition()], where);
            // Unigram with byte fallback gives the normalised text back; with <unk>, valid ids, runs merged.
            String norm = Unigram.normalize(s).replace('\u2581', ' ');
            assertEquals(norm.isEmpty() ? "" : norm.substring(1), unigramBytes.decode(unigramBytes.encode(s)), where);
            int[] u = unigramUnk.encode(s);
            for (int k = 0; k < u.length; k++) {
                assertTrue(u[k] >= 0 && u[k] < unigramUnk.vocabSize(), where);
                assertTrue(k == 0 || u[k] != unigramUnk.unkId() || u[k - 1] != unigramUnk.unkId(), where);
            }
        }
        System.out.println("fuzz: " + FUZZ_STRINGS + " random strings (up to 200 chars) through 5 tokenizers; "
                + errors + " lone-surrogate errors from the OpenAI flavour, as intended");
        assertTrue(errors > 300, "the generator should make lone surrogates: " + errors);
    }

    @Test
    void longInputsFinish() {
        SplittableRandom r = new SplittableRandom(7);
        StringBuilder letters = new StringBuilder();
        StringBuilder cjk = new StringBuilder();
        for (int i = 0; i < 100_000; i++) {
            letters.append((char) ('a' + r.nextInt(26)));
            cjk.appendCodePoint(0x4E00 + r.nextInt(20000));
        }
        List<String> inputs = List.of(letters.toString(), cjk.toString(), " ".repeat(100_000), "\t\n".repeat(50_000),
                "😀".repeat(50_000), "a" + "\u0301".repeat(100_000), "1".repeat(100_000), "'s".repeat(50_000),
                "\uD800".repeat(100_000), randomText(r, 100_000));
        assertTimeoutPreemptively(HANG, () -> {
            for (String s : inputs) {
                String where = s.length() + " chars starting " + ByteLevelBpeTests.quoteForReport(s.substring(0, 4));
                assertEquals(replaceLone(s), js.decode(js.encode(s)), where);
                assertTrue(clip.encodeIds(s).length >= 0);
                String norm = Unigram.normalize(s).replace('\u2581', ' ');
                assertEquals(norm.isEmpty() ? "" : norm.substring(1), unigramBytes.decode(unigramBytes.encode(s)), where);
                assertTrue(unigramUnk.encode(s).length <= s.length() + 1);
            }
        });
    }

    /** GPT-2's rounds take quadratic time on one long word (about 7 minutes for this one); the heap takes seconds. */
    @Test
    void aLongWordIsNotQuadratic() {
        SplittableRandom r = new SplittableRandom(11);
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < 400_000; i++) {
            b.append((char) ('a' + r.nextInt(26)));
        }
        String word = b.toString();
        int[] ids = assertTimeoutPreemptively(Duration.ofSeconds(60), () -> js.encode(word));
        assertEquals(word, js.decode(ids));
    }

    @Test
    void theHeapMergeGivesTheRoundsResult() throws Exception {
        for (boolean joined : new boolean[] {false, true}) {
            BpeModel model = BpeModel.parse(Path.of("encoder.json"), ByteLevelBpe.bundled("encoder.json.gz"),
                    Path.of("vocab.bpe"), ByteLevelBpe.bundled("vocab.bpe.gz"), joined);
            SplittableRandom r = new SplittableRandom(3);
            List<String> words = new ArrayList<>();
            String alphabet = "abcdefghijklmnopqrstuvwxyz,\".'-";
            for (int i = 0; i < 900; i++) {
                StringBuilder b = new StringBuilder();
                int len = 1 + r.nextInt(i < 800 ? 100 : 1000);
                for (int k = 0; k < len; k++) {
                    b.append(alphabet.charAt(r.nextInt(i % 2 == 0 ? 26 : alphabet.length())));
                }
                words.add(b.toString());
            }
            for (int i = 0; i < 200; i++) {
                words.add(randomText(r, 300));
            }
            for (String w : words) {
                byte[] bytes = Utf8.encode(w, 0, w.length(), true);
                int[] symbols = new int[bytes.length];
                for (int k = 0; k < bytes.length; k++) {
                    symbols[k] = model.id(String.valueOf(org.minidiffusion.text.ByteUnicode.charOf(bytes[k] & 0xFF)));
                }
                int[] a = symbols.clone();
                int[] b = symbols.clone();
                int na = model.mergeByRounds(a);
                int nb = model.mergeWithHeap(b);
                assertArrayEquals(Arrays.copyOf(a, na), Arrays.copyOf(b, nb), ByteLevelBpeTests.quoteForReport(w));
            }
        }
    }
}
