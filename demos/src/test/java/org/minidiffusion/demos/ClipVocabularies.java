package org.minidiffusion.demos;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.minidiffusion.io.Json;

/**
 * Writes a small CLIP BPE vocabulary for tests: the 256 byte characters with and without
 * {@code </w>}, merges that join each word of a corpus letter by letter, and the two special tokens.
 */
final class ClipVocabularies {
    private static final Pattern WORD = Pattern.compile("\\p{L}+|\\p{N}|[^\\s\\p{L}\\p{N}]+");

    private ClipVocabularies() {
    }

    /**
     * Writes {@code vocab.json} and {@code merges.txt} to {@code dir} for the words of {@code lines} (ASCII).
     *
     * @param dir   the directory, created if missing
     * @param lines the corpus
     * @return the directory
     * @throws IOException if writing fails
     */
    static Path write(Path dir, Iterable<String> lines) throws IOException {
        List<String> tokens = new ArrayList<>();
        for (int b : bytesInOrder()) {
            tokens.add(String.valueOf(charOf(b)));
        }
        for (int b : bytesInOrder()) {
            tokens.add(charOf(b) + "</w>");
        }
        Set<String> merges = new LinkedHashSet<>();
        for (String line : lines) {
            Matcher m = WORD.matcher(line.toLowerCase(Locale.ROOT));
            while (m.find()) {
                String w = m.group();
                String prefix = w.substring(0, 1);
                for (int i = 1; i < w.length(); i++) {
                    String next = w.substring(i, i + 1) + (i == w.length() - 1 ? "</w>" : "");
                    if (merges.add(prefix + " " + next)) {
                        tokens.add(prefix + next);
                    }
                    prefix = prefix + next;
                }
            }
        }
        tokens.add("<|startoftext|>");
        tokens.add("<|endoftext|>");
        StringBuilder vocab = new StringBuilder("{");
        for (int i = 0; i < tokens.size(); i++) {
            vocab.append(i == 0 ? "" : ", ").append(Json.quote(tokens.get(i))).append(": ").append(i);
        }
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("vocab.json"), vocab.append("}\n"), StandardCharsets.UTF_8);
        Files.writeString(dir.resolve("merges.txt"), "#version: 0.2\n" + String.join("\n", merges) + "\n",
                StandardCharsets.UTF_8);
        return dir;
    }

    /** GPT-2's byte order: the printable bytes, then the rest. */
    private static List<Integer> bytesInOrder() {
        List<Integer> order = new ArrayList<>();
        for (int b = 0; b < 256; b++) {
            if (printable(b)) {
                order.add(b);
            }
        }
        for (int b = 0; b < 256; b++) {
            if (!printable(b)) {
                order.add(b);
            }
        }
        return order;
    }

    private static boolean printable(int b) {
        return (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
    }

    /** GPT-2's bytes_to_unicode: a printable byte stands for itself, the others for 256 + n. */
    private static char charOf(int b) {
        if (printable(b)) {
            return (char) b;
        }
        int n = 0;
        for (int c = 0; c < b; c++) {
            n += printable(c) ? 0 : 1;
        }
        return (char) (256 + n);
    }
}
