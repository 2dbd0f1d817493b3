package org.minidiffusion.io.chart;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class BitmapFontTests {
    /** The glyphs of misc-fixed 6x10, copied by hand from the X11 font. */
    static final String[] GLYPH_A = {
        "......",
        "..#...",
        ".#.#..",
        "#...#.",
        "#...#.",
        "#####.",
        "#...#.",
        "#...#.",
        "......",
        "......",
    };
    static final String[] GLYPH_G = {
        "......",
        "......",
        "......",
        ".####.",
        "#...#.",
        "#...#.",
        ".####.",
        "....#.",
        "#...#.",
        ".###..",
    };

    @Test
    void glyphsAreThoseOfMiscFixed6x10() {
        assertGlyph(GLYPH_A, 'A');
        assertGlyph(GLYPH_G, 'g');
    }

    @Test
    void charactersOutsidePrintableAsciiAreQuestionMarks() {
        for (int y = 0; y < BitmapFont.HEIGHT; y++) {
            for (int x = 0; x < BitmapFont.WIDTH; x++) {
                assertEquals(BitmapFont.ink('?', x, y), BitmapFont.ink('\u00e9', x, y));
            }
        }
        assertEquals(18, BitmapFont.width("abc"));
    }

    private static void assertGlyph(String[] rows, char c) {
        for (int y = 0; y < BitmapFont.HEIGHT; y++) {
            StringBuilder row = new StringBuilder();
            for (int x = 0; x < BitmapFont.WIDTH; x++) {
                row.append(BitmapFont.ink(c, x, y) ? '#' : '.');
            }
            assertEquals(rows[y], row.toString(), "glyph '" + c + "' row " + y);
        }
    }
}
