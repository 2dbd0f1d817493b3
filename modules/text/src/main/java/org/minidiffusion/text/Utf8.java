package org.minidiffusion.text;

import java.util.Arrays;

/** UTF-8 encoding with an explicit policy for lone surrogates, which {@code String.getBytes} turns into {@code '?'}. */
final class Utf8 {
    private Utf8() {
    }

    /**
     * Throws if {@code s} has a lone surrogate.
     *
     * @param s the text
     * @throws IllegalArgumentException naming the first lone surrogate and its index
     */
    public static void requireWellFormed(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                throw new IllegalArgumentException(String.format(
                        "the text has a lone surrogate U+%04X at index %d, which UTF-8 cannot encode", (int) c, i));
            }
        }
    }

    /**
     * Encodes {@code s[from, to)} as UTF-8.
     *
     * @param s            the text
     * @param from         the first char
     * @param to           one past the last char
     * @param replaceLone  whether a lone surrogate becomes U+FFFD (as the WHATWG {@code TextEncoder}
     *                     does); otherwise it is an error
     * @return the bytes
     * @throws IllegalArgumentException for a lone surrogate when {@code !replaceLone}, naming its index
     */
    public static byte[] encode(String s, int from, int to, boolean replaceLone) {
        byte[] out = new byte[(to - from) * 3];
        int n = 0;
        for (int i = from; i < to; ) {
            int c = s.codePointAt(i);
            int width = Character.charCount(c);
            if (width == 1 && Character.isSurrogate((char) c)) {
                if (!replaceLone) {
                    throw new IllegalArgumentException(String.format(
                            "the text has a lone surrogate U+%04X at index %d, which UTF-8 cannot encode", c, i));
                }
                c = 0xFFFD;
            }
            if (c < 0x80) {
                out[n++] = (byte) c;
            } else if (c < 0x800) {
                out[n++] = (byte) (0xC0 | (c >> 6));
                out[n++] = (byte) (0x80 | (c & 0x3F));
            } else if (c < 0x10000) {
                out[n++] = (byte) (0xE0 | (c >> 12));
                out[n++] = (byte) (0x80 | ((c >> 6) & 0x3F));
                out[n++] = (byte) (0x80 | (c & 0x3F));
            } else {
                out[n++] = (byte) (0xF0 | (c >> 18));
                out[n++] = (byte) (0x80 | ((c >> 12) & 0x3F));
                out[n++] = (byte) (0x80 | ((c >> 6) & 0x3F));
                out[n++] = (byte) (0x80 | (c & 0x3F));
            }
            i += width;
        }
        return Arrays.copyOf(out, n);
    }
}
