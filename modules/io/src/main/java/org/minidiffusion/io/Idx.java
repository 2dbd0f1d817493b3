package org.minidiffusion.io;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;
import org.minidiffusion.core.api.Shape;

/**
 * Reads IDX files, the format of the MNIST and Fashion-MNIST datasets, plain or gzip-compressed.
 *
 * <p>An IDX file is two zero bytes, a data-type byte, a rank byte {@code r}, then {@code r}
 * big-endian 32-bit dims and the values in row-major order. Only the unsigned-byte type
 * ({@code 0x08}) is supported. Compression is detected from the gzip magic bytes
 * {@code 1f 8b}, whatever the file name.
 *
 * @see <a href="http://yann.lecun.com/exdb/mnist/">Y. LeCun et al., the MNIST database (IDX format)</a>
 */
public final class Idx {
    private static final int UNSIGNED_BYTE = 0x08;

    /**
     * An upper bound on how many bytes deflate can expand one compressed byte to (the format's
     * maximum is about 1032), used to refuse impossible sizes before allocating.
     */
    private static final long MAX_INFLATE_RATIO = 1100;

    private Idx() {
    }

    /**
     * Reads a whole IDX file of unsigned bytes.
     *
     * @param file the file, gzip-compressed or not
     * @return its shape and data
     * @throws FileFormatException naming the file and what was expected and found if the magic
     *                             number, type, header or data length is wrong, or if bytes follow
     *                             the data
     * @throws IOException         if reading fails
     */
    public static IdxData read(Path file) throws IOException {
        long size = Files.size(file);
        try (InputStream raw = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
            boolean gzip = isGzip(raw);
            // The most data the file can hold: itself, or what its compressed bytes can inflate to.
            long capacity = gzip ? MAX_INFLATE_RATIO * size : size;
            return parse(file, gzip ? gunzip(file, raw) : raw, capacity);
        } catch (ZipException | EOFException e) {
            String why = e.getMessage() == null ? "the file ends before the gzip stream does" : e.getMessage();
            throw new FileFormatException(file, "corrupt or truncated gzip data (" + Files.size(file)
                    + " bytes on disk): " + why, e);
        }
    }

    private static InputStream gunzip(Path file, InputStream raw) throws IOException {
        try {
            return new GZIPInputStream(raw, 1 << 16);
        } catch (EOFException e) {
            throw new FileFormatException(file, "truncated gzip file: it starts with the gzip magic bytes 1f 8b "
                    + "but ends (" + Files.size(file) + " bytes on disk) inside the 10-byte gzip header", e);
        } catch (ZipException e) {
            throw new FileFormatException(file, "corrupt gzip header: " + e.getMessage(), e);
        }
    }

    private static boolean isGzip(InputStream in) throws IOException {
        in.mark(2);
        boolean gzip = in.read() == 0x1f && in.read() == 0x8b;
        in.reset();
        return gzip;
    }

    private static IdxData parse(Path file, InputStream in, long capacity) throws IOException {
        byte[] magic = readExactly(file, in, 4, "the 4-byte IDX magic number");
        if (magic[0] != 0 || magic[1] != 0) {
            throw new FileFormatException(file, String.format(
                    "expected IDX magic bytes 00 00, found %02x %02x", magic[0], magic[1]));
        }
        if ((magic[2] & 0xff) != UNSIGNED_BYTE) {
            throw new FileFormatException(file, String.format(
                    "expected IDX data type 0x08 (unsigned byte), found 0x%02x%s", magic[2], typeName(magic[2])));
        }
        int rank = magic[3] & 0xff;
        Shape shape = shape(file, readExactly(file, in, 4 * rank, rank + " big-endian int32 dims"));
        if (shape.numel() > capacity) {
            throw new FileFormatException(file, "truncated: shape " + shape + " needs " + shape.numel()
                    + " data bytes, more than a file of this size can hold");
        }
        byte[] data = readExactly(file, in, shape.numel(), "data for shape " + shape);
        long extra = in.transferTo(OutputStream.nullOutputStream());
        if (extra > 0) {
            throw new FileFormatException(file, "expected the file to end after the " + shape.numel()
                    + " data bytes of shape " + shape + ", found " + extra + " more bytes");
        }
        return new IdxData(shape, data);
    }

    private static Shape shape(Path file, byte[] header) throws FileFormatException {
        ByteBuffer buffer = ByteBuffer.wrap(header);
        int[] dims = new int[header.length / 4];
        long numel = 1;
        for (int i = 0; i < dims.length; i++) {
            dims[i] = buffer.getInt();
            numel *= Math.max(dims[i], 0);
            if (dims[i] < 0 || numel > Integer.MAX_VALUE) {
                throw new FileFormatException(file, "expected dims with at most 2^31-1 elements in total, found "
                        + Arrays.toString(dims));
            }
        }
        return Shape.of(dims);
    }

    /** Reads {@code count} bytes into one array allocated once, so the peak heap is the data itself. */
    private static byte[] readExactly(Path file, InputStream in, int count, String what) throws IOException {
        byte[] bytes = new byte[count];
        int n = in.readNBytes(bytes, 0, count);
        if (n < count) {
            throw new FileFormatException(file, "truncated: expected " + what + " (" + count
                    + " bytes), found only " + n + " bytes");
        }
        return bytes;
    }

    private static String typeName(byte type) {
        return switch (type) {
            case 0x09 -> " (signed byte)";
            case 0x0B -> " (short)";
            case 0x0C -> " (int)";
            case 0x0D -> " (float)";
            case 0x0E -> " (double)";
            default -> " (not an IDX type)";
        };
    }
}
