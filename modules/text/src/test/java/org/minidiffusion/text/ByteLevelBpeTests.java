package org.minidiffusion.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** GPT-2 BPE against the ids of the npm package gpt-3-encoder (tools/golden_gpt2_bpe.js). */
class ByteLevelBpeTests {
    private static final ByteLevelBpe JS = ByteLevelBpe.gpt2(ByteLevelBpe.Flavour.GPT3_ENCODER_JS);
    private static final ByteLevelBpe OPENAI = ByteLevelBpe.gpt2();

    @Test
    void everyGoldenStringGivesGpt3EncodersIdsAndDecodesBack() throws Exception {
        List<Golden.Case> cases = Golden.cases(Golden.json("gpt2_bpe_golden.json"));
        assertTrue(cases.size() >= 300, "golden cases: " + cases.size());
        List<String> failures = new ArrayList<>();
        for (Golden.Case c : cases) {
            int[] ids = JS.encode(c.text());
            if (!Arrays.equals(c.ids(), ids)) {
                failures.add(quoteForReport(c.text()) + ": expected " + Arrays.toString(c.ids()) + " but got " + Arrays.toString(ids));
            } else if (!c.fromUtf16() && !JS.decode(ids).equals(c.text())) {
                failures.add(quoteForReport(c.text()) + ": decodes to " + quoteForReport(JS.decode(ids)));
            }
        }
        assertEquals(List.of(), failures, failures.size() + " of " + cases.size() + " golden strings differ");
    }

    @Test
    void theOpenAiFlavourAgreesOnStringsWithoutTheKnownDifferences() throws Exception {
        int same = 0;
        for (Golden.Case c : Golden.cases(Golden.json("gpt2_bpe_golden.json"))) {
            String t = c.text();
            if (c.fromUtf16() || t.contains("\uFEFF") || t.contains("\u0085") || t.contains(",")) {
                continue;
            }
            assertArrayEquals(c.ids(), OPENAI.encode(t), t);
            same++;
        }
        assertTrue(same > 250, "compared " + same);
    }

    @Test
    void theFlavoursDifferWhereDocumented() throws Exception {
        // gpt-3-encoder's rank table is keyed by left + "," + right: ("a,", "b") aliases the merge ("a", ",b").
        String vocab = "{\"a\": 0, \",\": 1, \"b\": 2, \"a,\": 3, \",b\": 4, \"a,b\": 5}";
        String merges = "#version: 0.2\na ,\na ,b\n";
        BpeModel joined = BpeModel.parse(Path.of("v.json"), vocab, Path.of("m.txt"), merges, true);
        BpeModel exact = BpeModel.parse(Path.of("v.json"), vocab, Path.of("m.txt"), merges, false);
        int[] word = {0, 1, 2};
        assertEquals(1, joined.merge(word));
        assertEquals(5, word[0]);
        word = new int[] {0, 1, 2};
        assertEquals(2, exact.merge(word));
        assertArrayEquals(new int[] {3, 2}, Arrays.copyOf(word, 2));
        // U+FEFF is JavaScript whitespace; U+0085 is Unicode White_Space.
        var js = PreTokenizer.Whitespace.JAVASCRIPT;
        var unicode = PreTokenizer.Whitespace.UNICODE;
        assertEquals(List.of("a", "\uFEFF", "\uFEFF", "b"), PreTokenizer.gpt2("a\uFEFF\uFEFFb", js));
        assertEquals(List.of("a", "\uFEFF\uFEFF", "b"), PreTokenizer.gpt2("a\uFEFF\uFEFFb", unicode));
        assertEquals(List.of("a", "\u0085\u0085", "b"), PreTokenizer.gpt2("a\u0085\u0085b", js));
        assertEquals(List.of("a", "\u0085", "\u0085", "b"), PreTokenizer.gpt2("a\u0085\u0085b", unicode));
        assertArrayEquals(JS.encode("\uFFFD"), JS.encode("\uD800"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> OPENAI.encode("ab\uD800"));
        assertEquals("the text has a lone surrogate U+D800 at index 2, which UTF-8 cannot encode", e.getMessage());
    }

    @Test
    void knownIds() {
        assertArrayEquals(new int[] {15496, 995}, OPENAI.encode("Hello world"));
        assertEquals(50257, OPENAI.vocabSize());
        assertEquals("<|endoftext|>", OPENAI.token(ByteLevelBpe.GPT2_END_OF_TEXT));
        assertEquals(List.of("Hello", "Ġworld"), OPENAI.tokens("Hello world"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> OPENAI.decode(new int[] {50257}));
        assertEquals("id 50257 is not in the vocabulary (ids 0..50256)", e.getMessage());
    }

    static String quoteForReport(String s) {
        StringBuilder b = new StringBuilder("\"");
        s.codePoints().forEach(c -> b.append(c >= 0x20 && c < 0x7F ? Character.toString(c) : String.format("\\u{%X}", c)));
        return b.append('"').toString();
    }
}
