package org.minidiffusion.io;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.zip.CRC32;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * A bounded PNG decoder: it checks the whole file before it allocates anything large.
 *
 * <p>It reads the chunks in one pass, checking every chunk's CRC, and refuses a header whose
 * width, height or pixel count exceeds the {@link Images.Limits} before it inflates a byte. It
 * inflates the image data into a buffer that grows with the data actually present and never
 * beyond the size the header implies (computed in {@code long}), so a small file cannot make it
 * allocate or work more than its own content and the limits allow. Every malformed file gives a
 * {@link FileFormatException} naming the file.
 *
 * <p>Supported: every colour type and bit depth of PNG 1.2 (grey, RGB, palette, grey with alpha,
 * RGBA; 1, 2, 4, 8 and 16 bits) and Adam7 interlacing. Alpha and {@code tRNS} are dropped, and
 * ancillary chunks ({@code gAMA}, {@code iCCP}, text, ...) are checked and skipped: samples come
 * out as stored, as Pillow and torchvision read them.
 *
 * @see <a href="https://www.w3.org/TR/png/">Portable Network Graphics (PNG) Specification</a>
 */
final class PngDecoder {
    private static final byte[] SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

    /** Adam7 passes: x start, y start, x step, y step (PNG specification, section 8.2). */
    private static final int[][] ADAM7 = {
        {0, 0, 8, 8}, {4, 0, 8, 8}, {0, 4, 4, 8}, {2, 0, 4, 4}, {0, 2, 2, 4}, {1, 0, 2, 2}, {0, 1, 1, 2}};

    /** The largest array the JVM reliably allocates. */
    private static final long MAX_ARRAY = Integer.MAX_VALUE - 8;

    /**
     * A decoded image: its samples scaled to a value range.
     *
     * @param channels 1 for grey (with or without alpha), 3 for RGB, RGBA and palette images
     * @param height   the height in pixels
     * @param width    the width in pixels
     * @param values   {@code (channels, height, width)}, row-major
     */
    record Image(int channels, int height, int width, float[] values) {
    }

    private final Path file;
    private final Images.Limits limits;
    private final long fileSize;
    private final InputStream in;
    private final CRC32 crc = new CRC32();
    private final byte[] scratch = new byte[1 << 13];
    private long position;

    // From IHDR.
    private int width;
    private int height;
    private int bitDepth;
    private int colorType;
    private boolean interlaced;
    private int samplesPerPixel;
    private long rawSize;

    private byte[] palette; // PLTE, 3 bytes per entry
    private byte[] raw = new byte[0];
    private int rawLength;

    private PngDecoder(Path file, Images.Limits limits, long fileSize, InputStream in) {
        this.file = file;
        this.limits = limits;
        this.fileSize = fileSize;
        this.in = in;
    }

    /**
     * Decodes a PNG file to samples in {@code [low, high]}.
     *
     * @param file   the file
     * @param limits the largest image accepted
     * @param low    the value of sample 0
     * @param high   the value of the largest sample
     * @return the image
     * @throws FileFormatException naming the file if it is not a valid PNG within the limits
     * @throws IOException         if reading fails
     */
    static Image decode(Path file, Images.Limits limits, float low, float high) throws IOException {
        long size = Files.size(file);
        try (InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
            PngDecoder decoder = new PngDecoder(file, limits, size, in);
            decoder.readChunks();
            return decoder.toImage(low, high);
        }
    }

    private void readChunks() throws IOException {
        byte[] signature = readFully(8, "the 8-byte PNG signature");
        if (!Arrays.equals(signature, SIGNATURE)) {
            throw fail("expected the PNG signature 89 50 4e 47 0d 0a 1a 0a, found "
                    + HexFormat.ofDelimiter(" ").formatHex(signature));
        }
        Inflater inflater = new Inflater();
        try {
            boolean seenIdat = false;
            boolean idatEnded = false;
            while (true) {
                long chunkStart = position;
                byte[] head = readFully(8, "a chunk length and type at byte " + chunkStart);
                long length = ((head[0] & 0xffL) << 24) | ((head[1] & 0xff) << 16) | ((head[2] & 0xff) << 8)
                        | (head[3] & 0xff);
                String type = chunkType(head, chunkStart);
                if (length > Integer.MAX_VALUE) {
                    throw fail("chunk " + type + " at byte " + chunkStart + " declares " + length
                            + " bytes, more than the 2^31-1 PNG allows");
                }
                if (length + 4 > fileSize - position) {
                    throw fail("chunk " + type + " at byte " + chunkStart + " declares " + length
                            + " bytes but the file ends " + (fileSize - position) + " bytes later (truncated?)");
                }
                if (chunkStart == 8 && !type.equals("IHDR")) {
                    throw fail("the first chunk is " + type + ", expected IHDR");
                }
                crc.reset();
                crc.update(head, 4, 4);
                switch (type) {
                    case "IHDR" -> {
                        if (chunkStart != 8) {
                            throw fail("a second IHDR chunk at byte " + chunkStart);
                        }
                        readHeader(readData(length, 13, type), chunkStart);
                    }
                    case "PLTE" -> readPalette(readData(length, 3 * 256, type), chunkStart);
                    case "IDAT" -> {
                        if (idatEnded) {
                            throw fail("IDAT chunk at byte " + chunkStart + " after other chunks followed "
                                    + "the image data; IDAT chunks must be consecutive");
                        }
                        if (colorType == 3 && palette == null) {
                            throw fail("palette image without a PLTE chunk before its image data");
                        }
                        seenIdat = true;
                        inflate(inflater, length, chunkStart);
                    }
                    case "IEND" -> {
                        readData(length, 0, type);
                    }
                    default -> {
                        if (Character.isUpperCase(type.charAt(0))) {
                            throw fail("unknown critical chunk " + type + " at byte " + chunkStart);
                        }
                        skip(length);
                    }
                }
                checkCrc(type, chunkStart);
                if (type.equals("IEND")) {
                    break;
                }
                idatEnded |= seenIdat && !type.equals("IDAT");
            }
            if (!seenIdat) {
                throw fail("no IDAT chunk: the file has no image data");
            }
            if (rawLength < rawSize) {
                throw fail("image data ends after " + rawLength + " of the " + rawSize + " bytes that "
                        + describe() + " needs (truncated?)");
            }
        } finally {
            inflater.end();
        }
    }

    private void readHeader(byte[] data, long at) throws FileFormatException {
        if (data.length != 13) {
            throw fail("IHDR at byte " + at + " has " + data.length + " bytes, expected 13");
        }
        long w = ((data[0] & 0xffL) << 24) | ((data[1] & 0xff) << 16) | ((data[2] & 0xff) << 8) | (data[3] & 0xff);
        long h = ((data[4] & 0xffL) << 24) | ((data[5] & 0xff) << 16) | ((data[6] & 0xff) << 8) | (data[7] & 0xff);
        bitDepth = data[8] & 0xff;
        colorType = data[9] & 0xff;
        samplesPerPixel = switch (colorType) {
            case 0, 3 -> 1;
            case 4 -> 2;
            case 2 -> 3;
            case 6 -> 4;
            default -> throw fail("IHDR colour type " + colorType + " is not one of 0, 2, 3, 4, 6");
        };
        boolean depthOk = switch (colorType) {
            case 0 -> bitDepth == 1 || bitDepth == 2 || bitDepth == 4 || bitDepth == 8 || bitDepth == 16;
            case 3 -> bitDepth == 1 || bitDepth == 2 || bitDepth == 4 || bitDepth == 8;
            default -> bitDepth == 8 || bitDepth == 16;
        };
        if (!depthOk) {
            throw fail("IHDR bit depth " + bitDepth + " is not allowed with colour type " + colorType);
        }
        if (data[10] != 0 || data[11] != 0 || (data[12] & 0xff) > 1) {
            throw fail("IHDR compression, filter and interlace methods must be 0, 0 and 0 or 1, found "
                    + data[10] + ", " + data[11] + " and " + data[12]);
        }
        if (w == 0 || h == 0 || w > Integer.MAX_VALUE || h > Integer.MAX_VALUE) {
            throw fail("IHDR size " + w + " x " + h + " is invalid (each side must be 1 to 2^31-1)");
        }
        if (w > limits.maxSide() || h > limits.maxSide()) {
            throw fail("image of " + w + " x " + h + " pixels exceeds the limit of " + limits.maxSide()
                    + " pixels per side (pass larger Images.Limits to read it)");
        }
        if (w * h > limits.maxPixels()) {
            throw fail("image of " + w + " x " + h + " = " + w * h + " pixels exceeds the limit of "
                    + limits.maxPixels() + " pixels (pass larger Images.Limits to read it)");
        }
        width = (int) w;
        height = (int) h;
        interlaced = data[12] == 1;
        rawSize = 0;
        for (int[] pass : interlaced ? ADAM7 : new int[][] {{0, 0, 1, 1}}) {
            long pw = passSize(width, pass[0], pass[2]);
            long ph = passSize(height, pass[1], pass[3]);
            if (pw > 0 && ph > 0) {
                rawSize += ph * (1 + rowBytes(pw));
            }
        }
        long outputs = (long) channels() * width * height;
        if (rawSize > MAX_ARRAY || outputs > MAX_ARRAY) {
            throw fail("image of " + width + " x " + height + " pixels (" + describe() + ") needs more than the "
                    + MAX_ARRAY + " elements a Java array holds");
        }
    }

    private void readPalette(byte[] data, long at) throws FileFormatException {
        if (palette != null) {
            throw fail("a second PLTE chunk at byte " + at);
        }
        if (data.length == 0 || data.length % 3 != 0) {
            throw fail("PLTE at byte " + at + " has " + data.length + " bytes, expected 3 to 768 in steps of 3");
        }
        palette = data;
    }

    /** Inflates one IDAT chunk's data, appending to {@link #raw} but never past {@link #rawSize}. */
    private void inflate(Inflater inflater, long length, long at) throws IOException {
        long left = length;
        while (left > 0) {
            int n = (int) Math.min(scratch.length, left);
            readInto(scratch, n, "IDAT data");
            left -= n;
            crc.update(scratch, 0, n);
            inflater.setInput(scratch, 0, n);
            try {
                while (!inflater.needsInput() && !inflater.finished()) {
                    if (rawLength == rawSize) {
                        byte[] probe = new byte[1];
                        if (inflater.inflate(probe) > 0) {
                            throw fail("image data inflates to more than the " + rawSize + " bytes that "
                                    + describe() + " needs");
                        }
                        if (inflater.needsDictionary()) {
                            throw fail("image data asks for a zlib preset dictionary, which PNG does not allow");
                        }
                        break;
                    }
                    grow();
                    int got = inflater.inflate(raw, rawLength, raw.length - rawLength);
                    rawLength += got;
                    if (got == 0 && inflater.needsDictionary()) {
                        throw fail("image data asks for a zlib preset dictionary, which PNG does not allow");
                    }
                    if (got == 0) {
                        break; // zlib stops only when it needs input, has finished or needs a dictionary
                    }
                }
            } catch (DataFormatException e) {
                throw new FileFormatException(file, "not a readable PNG: corrupt zlib data in the IDAT chunk at byte "
                        + at + ": " + e.getMessage(), e);
            }
        }
    }

    /** Makes room in {@link #raw}, doubling it up to {@link #rawSize}, so it is never bigger than twice the data. */
    private void grow() {
        if (rawLength < raw.length) {
            return;
        }
        long next = Math.min(rawSize, Math.max(1 << 16, 2L * raw.length));
        raw = Arrays.copyOf(raw, (int) next);
    }

    private Image toImage(float low, float high) throws FileFormatException {
        int channels = channels();
        float[] values = new float[channels * width * height];
        int plane = width * height;
        float[] level = levels(low, high);
        int offset = 0;
        for (int[] pass : interlaced ? ADAM7 : new int[][] {{0, 0, 1, 1}}) {
            int pw = passSize(width, pass[0], pass[2]);
            int ph = passSize(height, pass[1], pass[3]);
            if (pw == 0 || ph == 0) {
                continue;
            }
            int stride = rowBytes(pw);
            unfilter(offset, stride, ph);
            for (int py = 0; py < ph; py++) {
                int row = offset + py * (stride + 1) + 1;
                int y = pass[1] + py * pass[3];
                for (int px = 0; px < pw; px++) {
                    int at = y * width + pass[0] + px * pass[2];
                    if (colorType == 3) {
                        int index = sample(row, px);
                        if (3 * index + 2 >= palette.length) {
                            throw fail("pixel (" + (at % width) + ", " + y + ") uses palette index " + index
                                    + " but PLTE has only " + palette.length / 3 + " entries");
                        }
                        for (int c = 0; c < 3; c++) {
                            values[c * plane + at] = level[palette[3 * index + c] & 0xff];
                        }
                    } else {
                        for (int c = 0; c < channels; c++) {
                            values[c * plane + at] = level[sample(row, px * samplesPerPixel + c)];
                        }
                    }
                }
            }
            offset += ph * (stride + 1);
        }
        return new Image(channels, height, width, values);
    }

    /** Returns the value of every sample level: {@code low + (high - low) * k / max}, max 255 for palettes. */
    private float[] levels(float low, float high) {
        int max = colorType == 3 ? 255 : (1 << bitDepth) - 1;
        float scale = high - low;
        float[] level = new float[max + 1];
        for (int k = 0; k <= max; k++) {
            level[k] = low + scale * k / (float) max;
        }
        return level;
    }

    /** Reverses the per-row filters in place (PNG specification, section 9: None, Sub, Up, Average, Paeth). */
    private void unfilter(int offset, int stride, int rows) throws FileFormatException {
        int bpp = Math.max(1, samplesPerPixel * bitDepth / 8);
        for (int r = 0; r < rows; r++) {
            int start = offset + r * (stride + 1);
            int cur = start + 1;
            int prev = cur - stride - 1; // the row above; not read in the first row
            switch (raw[start]) {
                case 0 -> {
                }
                case 1 -> {
                    for (int i = bpp; i < stride; i++) {
                        raw[cur + i] += raw[cur + i - bpp];
                    }
                }
                case 2 -> {
                    if (r > 0) {
                        for (int i = 0; i < stride; i++) {
                            raw[cur + i] += raw[prev + i];
                        }
                    }
                }
                case 3 -> {
                    for (int i = 0; i < stride; i++) {
                        int a = i >= bpp ? raw[cur + i - bpp] & 0xff : 0;
                        int b = r > 0 ? raw[prev + i] & 0xff : 0;
                        raw[cur + i] += (byte) ((a + b) >>> 1);
                    }
                }
                case 4 -> {
                    for (int i = 0; i < stride; i++) {
                        int a = i >= bpp ? raw[cur + i - bpp] & 0xff : 0;
                        int b = r > 0 ? raw[prev + i] & 0xff : 0;
                        int c = i >= bpp && r > 0 ? raw[prev + i - bpp] & 0xff : 0;
                        raw[cur + i] += (byte) paeth(a, b, c);
                    }
                }
                default -> throw fail("row " + r + " has filter type " + (raw[start] & 0xff) + ", expected 0 to 4");
            }
        }
    }

    private static int paeth(int a, int b, int c) {
        int p = a + b - c;
        int pa = Math.abs(p - a);
        int pb = Math.abs(p - b);
        int pc = Math.abs(p - c);
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }

    /** Returns sample {@code index} of the row whose data starts at {@code row}. */
    private int sample(int row, int index) {
        return switch (bitDepth) {
            case 8 -> raw[row + index] & 0xff;
            case 16 -> ((raw[row + 2 * index] & 0xff) << 8) | (raw[row + 2 * index + 1] & 0xff);
            default -> {
                int bit = index * bitDepth;
                int b = raw[row + bit / 8] & 0xff;
                yield (b >>> (8 - bitDepth - bit % 8)) & ((1 << bitDepth) - 1);
            }
        };
    }

    private int channels() {
        return colorType == 0 || colorType == 4 ? 1 : 3;
    }

    private int rowBytes(long pixels) {
        return (int) ((pixels * samplesPerPixel * bitDepth + 7) / 8);
    }

    private static int passSize(int size, int start, int step) {
        return size <= start ? 0 : (size - start + step - 1) / step;
    }

    private String describe() {
        return width + " x " + height + (interlaced ? " interlaced" : "") + " colour type " + colorType
                + " at " + bitDepth + " bits";
    }

    private String chunkType(byte[] head, long at) throws FileFormatException {
        for (int i = 4; i < 8; i++) {
            int c = head[i] & 0xff;
            if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'))) {
                throw fail("chunk at byte " + at + " has type bytes "
                        + HexFormat.ofDelimiter(" ").formatHex(head, 4, 8) + ", expected four ASCII letters");
            }
        }
        return new String(head, 4, 4, java.nio.charset.StandardCharsets.US_ASCII);
    }

    private byte[] readData(long length, int max, String type) throws IOException {
        if (length > max) {
            throw fail(type + " chunk at byte " + (position - 8) + " has " + length + " bytes, at most " + max
                    + " allowed");
        }
        byte[] data = readFully((int) length, type + " data");
        crc.update(data);
        return data;
    }

    private void skip(long length) throws IOException {
        long left = length;
        while (left > 0) {
            int n = (int) Math.min(scratch.length, left);
            readInto(scratch, n, "chunk data");
            crc.update(scratch, 0, n);
            left -= n;
        }
    }

    private void checkCrc(String type, long at) throws IOException {
        byte[] stored = readFully(4, "the CRC of chunk " + type);
        long expected = ((stored[0] & 0xffL) << 24) | ((stored[1] & 0xff) << 16) | ((stored[2] & 0xff) << 8)
                | (stored[3] & 0xff);
        if (expected != crc.getValue()) {
            throw fail(String.format("chunk %s at byte %d has CRC %08x but its content gives %08x "
                    + "(the file is corrupted or was edited)", type, at, expected, crc.getValue()));
        }
    }

    private byte[] readFully(int count, String what) throws IOException {
        byte[] bytes = new byte[count];
        readInto(bytes, count, what);
        return bytes;
    }

    private void readInto(byte[] bytes, int count, String what) throws IOException {
        int n = in.readNBytes(bytes, 0, count);
        if (n < count) {
            throw fail("file ends at byte " + (position + n) + " while reading " + what + " (truncated?)");
        }
        position += count;
    }

    private FileFormatException fail(String problem) {
        return new FileFormatException(file, "not a readable PNG: " + problem);
    }
}
