package org.minidiffusion.text;

/**
 * GPT-2's byte-to-unicode table ({@code bytes_to_unicode} in OpenAI's {@code encoder.py}): each
 * byte becomes one printable character, so byte strings can be BPE'd as text.
 *
 * <p>The 188 bytes {@code '!'..'~'}, {@code '¡'..'¬'} and {@code '®'..'ÿ'} map to themselves; the
 * other 68 map, in byte order, to U+0100, U+0101, ... (space 0x20 becomes {@code 'Ġ'}, U+0120).
 */
final class ByteUnicode {
    private static final char[] BYTE_TO_CHAR = new char[256];
    private static final int[] CHAR_TO_BYTE = new int[512];
    /** The bytes in the order of {@code bytes_to_unicode}: printable ones first; GPT-2 ids 0..255 follow it. */
    private static final int[] ORDER = new int[256];

    static {
        java.util.Arrays.fill(CHAR_TO_BYTE, -1);
        int k = 0;
        for (int b = 0; b < 256; b++) {
            if (printable(b)) {
                BYTE_TO_CHAR[b] = (char) b;
                ORDER[k++] = b;
            }
        }
        int n = 0;
        for (int b = 0; b < 256; b++) {
            if (!printable(b)) {
                BYTE_TO_CHAR[b] = (char) (256 + n++);
                ORDER[k++] = b;
            }
        }
        for (int b = 0; b < 256; b++) {
            CHAR_TO_BYTE[BYTE_TO_CHAR[b]] = b;
        }
    }

    private ByteUnicode() {
    }

    private static boolean printable(int b) {
        return (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
    }

    /**
     * Returns the character that stands for a byte.
     *
     * @param b the byte, 0..255
     * @return its character
     */
    public static char charOf(int b) {
        return BYTE_TO_CHAR[b & 0xFF];
    }

    /**
     * Returns the byte a character stands for.
     *
     * @param c the character
     * @return the byte 0..255, or -1 if {@code c} is not in the table
     */
    public static int byteOf(char c) {
        return c < CHAR_TO_BYTE.length ? CHAR_TO_BYTE[c] : -1;
    }

    /**
     * Returns the byte at position {@code k} of {@code bytes_to_unicode}'s order.
     *
     * @param k 0..255
     * @return the byte
     */
    public static int byteInOrder(int k) {
        return ORDER[k];
    }
}
