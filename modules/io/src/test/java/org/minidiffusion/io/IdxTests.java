package org.minidiffusion.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.minidiffusion.core.api.Shape;

class IdxTests {
    static final Path DATA = Path.of("../../data/fashion-mnist");

    @TempDir
    Path dir;

    @Test
    void readsPlainAndGzippedFilesAlike() throws IOException {
        byte[] plain = HexFormat.of().parseHex("00000802" + "00000002" + "00000003" + "00017f80feff");
        Path plainFile = Files.write(dir.resolve("plain.idx"), plain);
        Path gzFile = Files.write(dir.resolve("compressed-but-not-named-gz.idx"), gzip(plain));

        for (Path file : new Path[] {plainFile, gzFile}) {
            IdxData data = Idx.read(file);
            assertEquals(Shape.of(2, 3), data.shape());
            assertEquals(255, data.get(5));
            assertEquals(128, data.get(3));
            assertArrayEquals(new byte[] {0, 1, 0x7f, (byte) 0x80, (byte) 0xfe, (byte) 0xff}, data.data());
        }
    }

    @Test
    void readsTheCommittedFashionMnistTestImages() throws IOException {
        Path file = DATA.resolve("t10k-images-idx3-ubyte.gz");
        IdxData images = Idx.read(file);
        assertEquals(Shape.of(10000, 28, 28), images.shape());
        assertEquals(7_840_000, images.data().length);
        try (InputStream in = new GZIPInputStream(Files.newInputStream(file))) {
            byte[] raw = in.readAllBytes();
            assertArrayEquals(Arrays.copyOfRange(raw, 16, raw.length), images.data());
        }
    }

    @Test
    void rejectsAWrongMagicNumber() throws IOException {
        assertCorrupt(idx("504b0304"), "expected IDX magic bytes 00 00, found 50 4b");
    }

    @Test
    void rejectsUnsupportedDataTypes() throws IOException {
        assertCorrupt(idx("00000d01" + "00000001" + "3f800000"),
                "expected IDX data type 0x08 (unsigned byte), found 0x0d (float)");
        assertCorrupt(idx("00000701"), "found 0x07 (not an IDX type)");
    }

    @Test
    void rejectsTruncatedFiles() throws IOException {
        assertCorrupt(idx("0000"), "truncated: expected the 4-byte IDX magic number (4 bytes), found only 2 bytes");
        assertCorrupt(idx("00000803" + "00000002" + "0000"),
                "truncated: expected 3 big-endian int32 dims (12 bytes), found only 6 bytes");
        assertCorrupt(idx("00000802" + "00000002" + "00000002" + "010203"),
                "truncated: expected data for shape (2, 2) (4 bytes), found only 3 bytes");
    }

    @Test
    void refusesShapesLargerThanTheFileCanHoldBeforeAllocating() throws IOException {
        byte[] header = HexFormat.of().parseHex("00000803" + "00000400" + "00000400" + "00000400");
        assertCorrupt(idx("00000803" + "00000400" + "00000400" + "00000400" + "00"),
                "truncated: shape (1024, 1024, 1024) needs 1073741824 data bytes, more than a file of this size can hold");
        Path gz = Files.write(dir.resolve("big.gz"), gzip(header));
        assertCorrupt(gz, "needs 1073741824 data bytes, more than a file of this size can hold");
    }

    @Test
    void rejectsTrailingGarbage() throws IOException {
        assertCorrupt(idx("00000801" + "00000002" + "0102" + "ffff"),
                "expected the file to end after the 2 data bytes of shape (2), found 2 more bytes");
    }

    @Test
    void rejectsHugeOrNegativeDims() throws IOException {
        assertCorrupt(idx("00000802" + "ffffffff" + "00000001"), "expected dims with at most 2^31-1 elements");
        assertCorrupt(idx("00000802" + "00010000" + "00010000"), "expected dims with at most 2^31-1 elements");
    }

    @Test
    void rejectsCorruptGzipData() throws IOException {
        byte[] gz = gzip(HexFormat.of().parseHex("00000801" + "00000100" + "00".repeat(256)));
        Path file = Files.write(dir.resolve("cut.gz"), Arrays.copyOf(gz, gz.length - 12));
        assertCorrupt(file, "corrupt or truncated gzip data");
    }

    private Path idx(String hex) throws IOException {
        return Files.write(Files.createTempFile(dir, "bad", ".idx"), HexFormat.of().parseHex(hex));
    }

    private static void assertCorrupt(Path file, String fragment) {
        FileFormatException e = assertThrows(FileFormatException.class, () -> Idx.read(file));
        assertTrue(e.getMessage().startsWith(file + ": "), e.getMessage());
        assertTrue(e.getMessage().contains(fragment), () -> "expected «" + fragment + "» in: " + e.getMessage());
    }

    static byte[] gzip(byte[] bytes) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(bytes);
        }
        return out.toByteArray();
    }
}
