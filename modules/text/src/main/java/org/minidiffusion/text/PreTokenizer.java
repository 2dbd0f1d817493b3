package org.minidiffusion.text;

import java.util.ArrayList;
import java.util.List;

/**
 * The pre-tokenisation patterns of GPT-2 and CLIP, written as scanners instead of regular
 * expressions: linear time on any input, no stack overflow on long runs, and exact control over
 * which characters count as letters, numbers and whitespace.
 *
 * <p>GPT-2 ({@code encoder.py}): {@code 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+}.
 * At each position the alternatives are tried in that order, as a backtracking regex engine does;
 * {@code \s+(?!\S)} takes a whitespace run but leaves its last character to prefix the next word.
 *
 * <p>CLIP ({@code simple_tokenizer.py}): {@code <|startoftext|>|<|endoftext|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+},
 * which skips whitespace and takes digits one at a time.
 *
 * <p>Letters and numbers are Java's Unicode general categories (L*, and Nd, Nl, No), from the
 * JDK's Unicode version (13.0 for JDK 17); code points assigned later are neither.
 */
final class PreTokenizer {
    /** Which characters {@code \s} matches. */
    public enum Whitespace {
        /**
         * Unicode's White_Space property, which Python's {@code regex} module uses: U+0009..U+000D,
         * U+0020, U+0085, U+00A0, U+1680, U+2000..U+200A, U+2028, U+2029, U+202F, U+205F, U+3000.
         */
        UNICODE,
        /**
         * JavaScript's {@code \s}, which the npm package gpt-3-encoder uses: as {@link #UNICODE} but
         * without U+0085 and with U+FEFF.
         */
        JAVASCRIPT
    }

    private static final String[] CONTRACTIONS = {"s", "t", "re", "ve", "m", "ll", "d"};
    private static final String START = "<|startoftext|>";
    private static final String END = "<|endoftext|>";

    private PreTokenizer() {
    }

    /**
     * Returns whether {@code c} is whitespace for {@code \s}.
     *
     * @param c     a code point
     * @param which the definition
     * @return whether it is whitespace
     */
    public static boolean isSpace(int c, Whitespace which) {
        if ((c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A)
                || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000) {
            return true;
        }
        return which == Whitespace.UNICODE ? c == 0x85 : c == 0xFEFF;
    }

    /**
     * Returns whether {@code c} is in {@code \p{L}}.
     *
     * @param c a code point
     * @return whether it is a letter
     */
    public static boolean isLetter(int c) {
        return Character.isLetter(c);
    }

    /**
     * Returns whether {@code c} is in {@code \p{N}}.
     *
     * @param c a code point
     * @return whether it is a number
     */
    public static boolean isNumber(int c) {
        int type = Character.getType(c);
        return type == Character.DECIMAL_DIGIT_NUMBER || type == Character.LETTER_NUMBER
                || type == Character.OTHER_NUMBER;
    }

    private enum Kind { LETTER, NUMBER, OTHER, SPACE }

    private static Kind kind(int c, Whitespace ws) {
        if (isLetter(c)) {
            return Kind.LETTER;
        }
        if (isNumber(c)) {
            return Kind.NUMBER;
        }
        return isSpace(c, ws) ? Kind.SPACE : Kind.OTHER;
    }

    /**
     * Splits text as GPT-2's pattern does.
     *
     * @param text the text (lone surrogates count as "other" characters)
     * @param ws   which characters are whitespace
     * @return the pieces, which concatenate to {@code text}
     */
    public static List<String> gpt2(String text, Whitespace ws) {
        List<String> pieces = new ArrayList<>();
        int len = text.length();
        int i = 0;
        while (i < len) {
            int end = contraction(text, i);
            if (end < 0) {
                int c = text.codePointAt(i);
                int start = i;
                Kind k = kind(c, ws);
                if (c == ' ' && i + 1 < len) {
                    Kind next = kind(text.codePointAt(i + 1), ws);
                    if (next != Kind.SPACE) {
                        start = i + 1; // the optional leading space of " ?\p{L}+" and its siblings
                        k = next;
                    }
                }
                if (k != Kind.SPACE) {
                    end = run(text, start, k, ws);
                } else {
                    int e = run(text, i, Kind.SPACE, ws); // whitespace is all BMP: one char per code point
                    // \s+(?!\S) keeps the run up to its last character when a non-space follows;
                    // a single space before a non-space falls through to \s+.
                    end = e == len || e - i == 1 ? e : e - 1;
                }
            }
            pieces.add(text.substring(i, end));
            i = end;
        }
        return pieces;
    }

    /**
     * Splits lower-cased, whitespace-cleaned text as CLIP's pattern does; whitespace is dropped.
     *
     * @param text the cleaned text
     * @return the pieces, in order
     */
    public static List<String> clip(String text) {
        List<String> pieces = new ArrayList<>();
        int len = text.length();
        int i = 0;
        while (i < len) {
            int end;
            if (text.startsWith(START, i)) {
                end = i + START.length();
            } else if (text.startsWith(END, i)) {
                end = i + END.length();
            } else if ((end = contraction(text, i)) < 0) {
                int c = text.codePointAt(i);
                Kind k = kind(c, Whitespace.UNICODE);
                if (k == Kind.SPACE) {
                    i += Character.charCount(c);
                    continue;
                }
                end = k == Kind.NUMBER ? i + Character.charCount(c) : run(text, i, k, Whitespace.UNICODE);
            }
            pieces.add(text.substring(i, end));
            i = end;
        }
        return pieces;
    }

    /** Returns the end of a contraction ('s, 't, 're, 've, 'm, 'll, 'd) at {@code i}, or -1. */
    private static int contraction(String text, int i) {
        if (text.charAt(i) != '\'') {
            return -1;
        }
        for (String c : CONTRACTIONS) {
            if (text.startsWith(c, i + 1)) {
                return i + 1 + c.length();
            }
        }
        return -1;
    }

    private static int run(String text, int i, Kind k, Whitespace ws) {
        int len = text.length();
        while (i < len) {
            int c = text.codePointAt(i);
            if (kind(c, ws) != k) {
                break;
            }
            i += Character.charCount(c);
        }
        return i;
    }
}
