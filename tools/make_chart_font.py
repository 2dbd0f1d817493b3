#!/usr/bin/env python3
"""Writes the bitmap font of the chart code from the X11 misc-fixed 6x10 font.

The font is in the public domain ("Public domain font.  Share and enjoy.", font-misc-misc).
Debian ships it in xfonts-base; pcf2bdf turns it into BDF:

    apt-get install xfonts-base pcf2bdf
    zcat /usr/share/fonts/X11/misc/6x10.pcf.gz | pcf2bdf > /tmp/6x10.bdf
    python3 tools/make_chart_font.py /tmp/6x10.bdf

Every glyph of 6x10 fills its whole 6x10 cell (BBX 6 10 0 -2), so each is written as ten rows of
six characters, '#' for ink and '.' for paper: rows 0-7 stand above the baseline, 8-9 below.
Only printable ASCII (32-126) is kept.
"""
import sys

OUT = "modules/io/src/main/resources/org/minidiffusion/io/chart/font-6x10.txt"


def glyphs(bdf):
    code, rows, bitmap = None, [], False
    for line in open(bdf, encoding="ascii"):
        word = line.split()
        if not word:
            continue
        if word[0] == "ENCODING":
            code = int(word[1])
        elif word[0] == "BBX" and word[1:] != ["6", "10", "0", "-2"]:
            sys.exit(f"glyph {code}: unexpected bounding box {word[1:]}")
        elif word[0] == "BITMAP":
            bitmap, rows = True, []
        elif word[0] == "ENDCHAR":
            bitmap = False
            if 32 <= code <= 126:
                yield code, rows
        elif bitmap:
            bits = int(word[0], 16)
            rows.append("".join("#" if bits & (0x80 >> i) else "." for i in range(6)))


def main():
    found = dict(glyphs(sys.argv[1]))
    missing = [c for c in range(32, 127) if c not in found]
    if missing:
        sys.exit(f"missing glyphs: {missing}")
    with open(OUT, "w", encoding="ascii", newline="\n") as out:
        out.write("# X11 misc-fixed 6x10, printable ASCII; public domain (\"Public domain font.  Share and enjoy.\").\n")
        out.write("# Written by tools/make_chart_font.py. Each glyph: a line 'char <code>', then ten rows of six\n")
        out.write("# pixels, '#' ink and '.' paper; rows 0-7 stand above the baseline, rows 8-9 below it.\n")
        for code in range(32, 127):
            out.write(f"char {code}\n")
            for row in found[code]:
                out.write(row + "\n")
    print(f"wrote {OUT}: {len(found)} glyphs")


if __name__ == "__main__":
    main()
