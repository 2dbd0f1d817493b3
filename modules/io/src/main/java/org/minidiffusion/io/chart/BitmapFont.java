package org.minidiffusion.io.chart;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * The 6x10 bitmap font that charts write their text in: X11's public-domain misc-fixed 6x10,
 * printable ASCII only.
 *
 * <p>Each glyph fills a 6-pixel-wide, 10-pixel-high cell: rows 0-7 stand above the baseline and
 * rows 8-9 hold descenders, and the cell includes the spacing, so text advances 6 pixels per
 * character. The glyphs are read from {@code font-6x10.txt} beside this class, which
 * {@code tools/make_chart_font.py} writes from the X11 font. A character outside ASCII 32-126 is
 * drawn as {@code ?}.
 */
final class BitmapFont {
    /** The width of every glyph cell, and the advance from one character to the next. */
    static final int WIDTH = 6;
    /** The height of every glyph cell. */
    static final int HEIGHT = 10;
    private static final String RESOURCE = "font-6x10.txt";
    private static final int FIRST = 32;
    private static final int LAST = 126;
    /** One bit per pixel: bit {@code 5 - x} of {@code ROWS[c - FIRST][y]} is ink. */
    private static final byte[][] ROWS = load();

    private BitmapFont() {
    }

    /**
     * Returns whether the pixel {@code (x, y)} of a character's cell is ink.
     *
     * @param c the character; outside ASCII 32-126 it is drawn as {@code ?}
     * @param x the column, 0 to 5
     * @param y the row, 0 to 9 (0 at the top)
     * @return whether the pixel is ink
     */
    static boolean ink(char c, int x, int y) {
        int index = c >= FIRST && c <= LAST ? c - FIRST : '?' - FIRST;
        return (ROWS[index][y] >> (WIDTH - 1 - x) & 1) != 0;
    }

    /**
     * Returns the width of a text in pixels.
     *
     * @param text the text
     * @return 6 pixels per character
     */
    static int width(String text) {
        return WIDTH * text.length();
    }

    private static byte[][] load() {
        byte[][] rows = new byte[LAST - FIRST + 1][];
        try (InputStream in = BitmapFont.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("BitmapFont: resource " + RESOURCE + " is missing from the module");
            }
            BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.US_ASCII));
            String line;
            int lineNumber = 0;
            while ((line = reader.readLine()) != null) {
                lineNumber++;
                if (line.startsWith("#")) {
                    continue;
                }
                if (!line.startsWith("char ")) {
                    throw new IllegalStateException(RESOURCE + " line " + lineNumber + ": expected 'char <code>', got '"
                            + line + "'");
                }
                int code = Integer.parseInt(line.substring(5).trim());
                if (code < FIRST || code > LAST) {
                    throw new IllegalStateException(RESOURCE + " line " + lineNumber + ": code " + code
                            + " is outside " + FIRST + "-" + LAST);
                }
                byte[] glyph = new byte[HEIGHT];
                for (int y = 0; y < HEIGHT; y++) {
                    String row = reader.readLine();
                    lineNumber++;
                    if (row == null || row.length() != WIDTH || !row.matches("[#.]+")) {
                        throw new IllegalStateException(RESOURCE + " line " + lineNumber + ": expected " + WIDTH
                                + " of '#' and '.', got '" + row + "'");
                    }
                    for (int x = 0; x < WIDTH; x++) {
                        if (row.charAt(x) == '#') {
                            glyph[y] |= (byte) (1 << (WIDTH - 1 - x));
                        }
                    }
                }
                rows[code - FIRST] = glyph;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("BitmapFont: cannot read " + RESOURCE, e);
        }
        for (int i = 0; i < rows.length; i++) {
            if (rows[i] == null) {
                throw new IllegalStateException(RESOURCE + ": no glyph for code " + (FIRST + i));
            }
        }
        return rows;
    }
}
