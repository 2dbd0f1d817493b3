package org.minidiffusion.text;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bad tokenizer files are errors that name the file and the line or key. */
class BadFilesTests {
    @TempDir
    Path dir;

    private Path write(String name, String content) throws IOException {
        Path p = dir.resolve(name);
        Files.writeString(p, content);
        return p;
    }

    private String bpeError(String vocab, String merges) throws IOException {
        Path v = write("vocab.json", vocab);
        Path m = write("merges.txt", merges);
        return assertThrows(TokenizerFormatException.class,
                () -> ByteLevelBpe.load(v, m, ByteLevelBpe.Flavour.OPENAI)).getMessage().replace(dir + "/", "");
    }

    /** A GPT-2 style vocabulary of the 256 byte tokens plus {@code extra}. */
    private static String vocab(String extra) {
        StringBuilder b = new StringBuilder("{");
        for (int k = 0; k < 256; k++) {
            char c = org.minidiffusion.text.ByteUnicode.charOf(org.minidiffusion.text.ByteUnicode.byteInOrder(k));
            b.append(org.minidiffusion.text.Json.quote(String.valueOf(c))).append(": ").append(k).append(",\n");
        }
        return (extra.isEmpty() ? b.substring(0, b.length() - 2) : b.append(extra)) + "}";
    }

    @Test
    void bpeVocabularyAndMergesErrors() throws IOException {
        String full = vocab("\"ab\": 256");
        assertEquals("vocab.json: JSON: line 257, column 6: unexpected end of input, expected a value",
                bpeError(full.substring(0, full.length() - 5), "#version: 0.2\n"));
        assertEquals("vocab.json: JSON: line 257, column 1: duplicate key \"a\"",
                bpeError(vocab("\"a\": 300"), "#version: 0.2\n"));
        assertEquals("vocab.json: key \"ab\": id 5 is already the id of \"&\"",
                bpeError(vocab("\"ab\": 5"), "#version: 0.2\n"));
        assertEquals("vocab.json: key \"ab\": the id -1 is not an integer in [0, 2147483647)",
                bpeError(vocab("\"ab\": -1"), "#version: 0.2\n"));
        assertEquals("merges.txt: line 3: the merge names \"zq\", which is not in vocab.json",
                bpeError(vocab("\"ab\": 256"), "#version: 0.2\na b\nzq b\n").replace(dir + "/", ""));
        assertEquals("merges.txt: line 2: the merge names \"ab\", which is not in vocab.json",
                bpeError(vocab("\"xy\": 256"), "#version: 0.2\na b\n").replace(dir + "/", ""));
        assertEquals("merges.txt: line 3: duplicate merge \"a b\", first given as merge 0",
                bpeError(vocab("\"ab\": 256"), "#version: 0.2\na b\na b\n"));
        assertEquals("merges.txt: line 2: expected two tokens separated by one space but found \"a b c\"",
                bpeError(vocab("\"ab\": 256"), "#version: 0.2\na b c\n"));
        assertEquals("vocab.json: vocabulary: lacks the byte token \"Ā\" for byte 0x00, so not every text can be encoded",
                bpeError("{\"a\": 0}", ""));
        assertEquals("vocab.json: JSON: expected an object from token to id", bpeError("[1, 2]", ""));
        assertEquals("vocab.json: key \"ab\": the id 2000000000 is far beyond the 257 tokens; ids should run from 0 without"
                + " large gaps", bpeError(vocab("\"ab\": 2000000000"), ""));
        Path notUtf8 = dir.resolve("bad.json");
        Files.write(notUtf8, new byte[] {'{', '"', (byte) 0xC3, '"', ':', '1', '}'});
        Path m = write("m.txt", "");
        String message = assertThrows(TokenizerFormatException.class,
                () -> ByteLevelBpe.load(notUtf8, m, ByteLevelBpe.Flavour.OPENAI)).getMessage();
        assertEquals(notUtf8 + ": content: not valid UTF-8 (Input length = 1)", message);
    }

    private String unigramTsvError(String content) throws IOException {
        Path p = write("spm.tsv", content);
        return assertThrows(TokenizerFormatException.class, () -> Unigram.loadTsv(p)).getMessage().replace(dir + "/", "");
    }

    private String unigramJsonError(String content) throws IOException {
        Path p = write("tokenizer.json", content);
        return assertThrows(TokenizerFormatException.class, () -> Unigram.loadTokenizerJson(p)).getMessage().replace(dir + "/", "");
    }

    @Test
    void unigramErrors() throws IOException {
        assertEquals("spm.tsv: line 2: expected piece<TAB>score but found \"\u2581a -1.5\"",
                unigramTsvError("<unk>\t0\n\u2581a -1.5\n"));
        assertEquals("spm.tsv: line 2: the score \"x\" is not a finite number", unigramTsvError("<unk>\t0\n\u2581a\tx\n"));
        assertEquals("spm.tsv: line 3: duplicate piece \"\u2581a\", first at line 2",
                unigramTsvError("<unk>\t0\n\u2581a\t-1\n\u2581a\t-2\n"));
        assertEquals("spm.tsv: line 2: the piece is empty", unigramTsvError("<unk>\t0\n\t-1\n"));
        assertEquals("spm.tsv: vocabulary: has no <unk> piece", unigramTsvError("\u2581a\t-1\n"));
        assertEquals("spm.tsv: vocabulary: has 1 byte pieces <0x..>; byte fallback needs all 256",
                unigramTsvError("<unk>\t0\n<0x41>\t0\n"));
        assertEquals("tokenizer.json: JSON: line 1, column 37: unterminated string",
                unigramJsonError("{\"model\": {\"type\": \"Unigram\", \"vocab"));
        assertEquals("tokenizer.json: key model.type: is BPE, not \"Unigram\"", unigramJsonError("{\"model\": {\"type\": \"BPE\"}}"));
        assertEquals("tokenizer.json: key model: missing, or not an object", unigramJsonError("{}"));
        assertEquals("tokenizer.json: key model.vocab[1]: expected [piece, score] but found [a]",
                unigramJsonError("{\"model\": {\"type\": \"Unigram\", \"unk_id\": 0, \"vocab\": [[\"<unk>\", 0], [\"a\"]]}}"));
        assertEquals("tokenizer.json: key model.vocab[2]: duplicate piece \"a\", first at model.vocab[1]",
                unigramJsonError("{\"model\": {\"type\": \"Unigram\", \"unk_id\": 0, \"vocab\": [[\"<unk>\", 0], [\"a\", -1], [\"a\", -2]]}}"));
        assertEquals("tokenizer.json: key model.unk_id: 5 is not an id of the vocabulary (0..0)",
                unigramJsonError("{\"model\": {\"type\": \"Unigram\", \"unk_id\": 5, \"vocab\": [[\"<unk>\", 0]]}}"));
    }

    @Test
    void clipNeedsItsSpecialTokens() throws IOException {
        Path v = write("vocab.json", vocab(""));
        Path m = write("merges.txt", "#version: 0.2\n");
        String message = assertThrows(TokenizerFormatException.class, () -> ClipTokenizer.load(v, m)).getMessage();
        assertEquals(v + ": vocabulary: lacks the token \"Ā</w>\", which CLIP's tokenizer needs", message);
    }
}
