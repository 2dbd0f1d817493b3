package org.minidiffusion.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** Unigram Viterbi against SentencePiece's ids (tools/golden_unigram.py), with <unk> and with byte fallback. */
class UnigramTests {
    static Path resource(String name) throws Exception {
        return Path.of(UnigramTests.class.getResource("/" + name).toURI());
    }

    @ParameterizedTest
    @ValueSource(strings = {"unk", "bytes", "unk150"})
    void everyGoldenStringGivesSentencePiecesIds(String name) throws Exception {
        Unigram fromTsv = Unigram.loadTsv(resource("unigram_" + name + ".tsv"));
        Unigram fromJson = Unigram.loadTokenizerJson(resource("unigram_" + name + ".tokenizer.json"));
        assertEquals(name.equals("bytes"), fromTsv.byteFallback());
        assertEquals(name.equals("bytes"), fromJson.byteFallback());
        List<Golden.Case> cases = Golden.cases(Golden.json("unigram_" + name + "_golden.json"));
        assertTrue(cases.size() >= 300, "golden cases: " + cases.size());
        List<String> failures = new ArrayList<>();
        for (Golden.Case c : cases) {
            for (Unigram u : List.of(fromTsv, fromJson)) {
                int[] ids = u.encode(c.text());
                if (!Arrays.equals(c.ids(), ids)) {
                    failures.add(ByteLevelBpeTests.quoteForReport(c.text()) + ": expected " + Arrays.toString(c.ids())
                            + " but got " + Arrays.toString(ids) + " " + u.pieces(c.text()));
                }
            }
        }
        assertEquals(List.of(), failures, failures.size() + " of " + 2 * cases.size() + " encodings differ");
    }

    @ParameterizedTest
    @ValueSource(strings = {"unk", "bytes", "unk150"})
    void decodeGivesWhatSentencePieceDecodes(String name) throws Exception {
        Unigram u = Unigram.loadTsv(resource("unigram_" + name + ".tsv"));
        int checked = 0;
        for (Object o : (List<?>) Golden.json("unigram_" + name + "_golden.json")) {
            Map<?, ?> c = (Map<?, ?>) o;
            assertEquals(c.get("decoded"), u.decode(Golden.ints(c.get("ids"))), (String) c.get("text"));
            checked++;
        }
        assertTrue(checked >= 300);
    }

    @Test
    void padsTruncatesAndEndsWithEos() throws Exception {
        Unigram u = Unigram.loadTsv(resource("unigram_unk.tsv"));
        int[] body = u.encode("a photo of a dark sneaker");
        Unigram.Encoding e = u.encode("a photo of a dark sneaker", 16, true);
        int[] expected = new int[16];
        System.arraycopy(body, 0, expected, 0, body.length);
        expected[body.length] = u.eosId();
        assertEquals(2, u.eosId());
        assertArrayEquals(expected, e.ids());
        assertEquals(body.length + 1, Arrays.stream(e.attentionMask()).sum());
        Unigram.Encoding cut = u.encode("a photo of a dark sneaker", 4, true);
        assertArrayEquals(new int[] {body[0], body[1], body[2], u.eosId()}, cut.ids());
        assertArrayEquals(new int[] {1, 1, 1, 1}, cut.attentionMask());
        assertEquals("length 0 must be at least 1", assertThrows(IllegalArgumentException.class,
                () -> u.encode("x", 0, true)).getMessage());
    }
}
