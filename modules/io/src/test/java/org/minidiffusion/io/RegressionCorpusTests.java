package org.minidiffusion.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;
import org.minidiffusion.core.api.Backends;
import org.minidiffusion.core.api.Shape;
import org.minidiffusion.core.api.Tensor;

/**
 * The files that crashed, exhausted memory or were wrongly accepted by the readers, each a named
 * case. The small ones are committed under {@code src/test/resources/regressions}; the larger
 * ones are built here.
 */
class RegressionCorpusTests {
    static final Path CORPUS = Path.of("src/test/resources/regressions");

    @TempDir
    Path dir;

    @Test
    void a57BytePngDeclaring30000x30000IsRefusedBeforeAllocating() {
        // Was: OutOfMemoryError at -Xmx2g (Commons Imaging allocated a 3.6 GB image).
        Path file = CORPUS.resolve("png-grey-30000x30000-57-bytes.png");
        assertRefused(file, () -> Images.readPng(file),
                "not a readable PNG: image of 30000 x 30000 pixels exceeds the limit of 16384 pixels per side");
    }

    @Test
    void anRgbPngOf16000x45000IsRefusedAndItsSizeIsComputedInLong() {
        // Was: NegativeArraySizeException (channels * h * w overflowed int), or OutOfMemoryError.
        Path file = CORPUS.resolve("png-rgb-16000x45000.png");
        assertRefused(file, () -> Images.readPng(file), "exceeds the limit of 16384 pixels per side");
        Images.Limits huge = new Images.Limits(Integer.MAX_VALUE, Long.MAX_VALUE);
        assertRefused(file, () -> Images.readPng(file, -1f, 1f, huge),
                "(16000 x 45000 colour type 2 at 8 bits) needs more than the 2147483639 elements a Java array holds");
    }

    @Test
    void aHeaderEditedWithoutFixingItsCrcIsRefused() throws IOException {
        // Was: accepted, returning the first two rows of the 4 x 4 image.
        Path file = CORPUS.resolve("png-ihdr-height-edited-bad-crc.png");
        assertRefused(file, () -> Images.readPng(file),
                "not a readable PNG: chunk IHDR at byte 8 has CRC 8c9ac1a2 but its content gives 5ac322bf");
        Tensor valid = Images.readPng(CORPUS.resolve("png-grey-4x4-valid.png"), 0f, 255f);
        assertEquals(Shape.of(1, 4, 4), valid.shape());
        float[] expected = new float[16];
        for (int i = 0; i < 16; i++) {
            expected[i] = 16 * i;
        }
        assertArrayEquals(expected, valid.toArray());
    }

    @Test
    void aPngWhoseDataInflatesPastItsHeaderIsRefusedAfterTheDeclaredSize() throws IOException {
        // A zlib bomb: 64 x 64 grey needs 4,160 bytes; the data inflates to 64 MB.
        byte[] bomb = deflate(new byte[64 << 20]);
        Path file = Files.write(dir.resolve("bomb.png"), png(64, 64, 8, 0, bomb));
        assertTrue(Files.size(file) < 1 << 20, "the bomb is under 1 MB");
        assertRefused(file, () -> Images.readPng(file),
                "not a readable PNG: image data inflates to more than the 4160 bytes that 64 x 64 colour type 0 at 8 bits needs");
    }

    @Test
    void aLargeDeclaredImageWithLittleDataIsRefusedAsTruncated() throws IOException {
        // 4096 x 4096 RGB is within the default limits; the file holds one row.
        Path file = Files.write(dir.resolve("short.png"), png(4096, 4096, 8, 2, deflate(new byte[1 + 3 * 4096])));
        assertRefused(file, () -> Images.readPng(file),
                "not a readable PNG: image data ends after 12289 of the 50335744 bytes");
    }

    @Test
    void aTwoByteGzipSaysWhereItEnds() {
        // Was: "corrupt or truncated gzip data: null".
        Path file = CORPUS.resolve("idx-gzip-two-bytes.gz");
        FileFormatException e = assertRefused(file, () -> Idx.read(file),
                "truncated gzip file: it starts with the gzip magic bytes 1f 8b but ends (2 bytes on disk) "
                        + "inside the 10-byte gzip header");
        assertFalse(e.getMessage().contains("null"), e.getMessage());
    }

    @Test
    void aHeaderListingMoreTensorsThanTheLimitIsRefusedBeforeParsing() throws IOException {
        // Was: a 99 MB header of 1.67M tensors took 11 s and 4.3 GB of allocation, then loaded.
        // The default limit is checked by a scan of the raw header, before the JSON is parsed.
        Path file = safetensors("many.safetensors", Safetensors.Limits.DEFAULT.maxTensors() + 2, false);
        assertRefused(file, () -> Safetensors.read(file),
                "header lists about 100002 entries, more than the limit of 100000 tensors");
        Safetensors.Limits small = new Safetensors.Limits(1000, 10);
        assertRefused(file, () -> Safetensors.read(file, Backends.current(), small),
                "exceeds the limit of 1000 bytes");
        // One entry above the limit may be the metadata: the parsed header is checked exactly.
        Safetensors.Limits three = new Safetensors.Limits(Safetensors.MAX_HEADER_BYTES, 3);
        Path four = safetensors("four.safetensors", 4, false);
        assertRefused(four, () -> Safetensors.read(four, Backends.current(), three),
                "header lists 4 tensors, more than the limit of 3");
        Path threeAndMetadata = safetensors("three.safetensors", 3, true);
        assertEquals(3, Safetensors.read(threeAndMetadata, Backends.current(), three).tensors().size());
    }

    private static FileFormatException assertRefused(Path file, Executable load, String fragment) {
        FileFormatException e = assertThrows(FileFormatException.class, load);
        assertTrue(e.getMessage().startsWith(file + ": "), e.getMessage());
        assertTrue(e.getMessage().contains(fragment), () -> "expected «" + fragment + "» in: " + e.getMessage());
        return e;
    }

    /** Writes a file of {@code count} empty tensors, and a metadata entry if asked. */
    private Path safetensors(String name, int count, boolean metadata) throws IOException {
        StringBuilder json = new StringBuilder(metadata ? "{\"__metadata__\":{\"a\":\"b,c\"}" : "{");
        for (int i = 0; i < count; i++) {
            json.append(i == 0 && !metadata ? "" : ",").append("\"t,").append(i)
                    .append("\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]}");
        }
        byte[] header = json.append('}').toString().getBytes(StandardCharsets.UTF_8);
        ByteBuffer file = ByteBuffer.allocate(8 + header.length).order(ByteOrder.LITTLE_ENDIAN);
        file.putLong(header.length).put(header);
        return Files.write(dir.resolve(name), file.array());
    }

    static byte[] png(int width, int height, int depth, int colourType, byte[] idat) {
        ByteBuffer ihdr = ByteBuffer.allocate(13).putInt(width).putInt(height)
                .put((byte) depth).put((byte) colourType).put((byte) 0).put((byte) 0).put((byte) 0);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
        chunk(out, "IHDR", ihdr.array());
        chunk(out, "IDAT", idat);
        chunk(out, "IEND", new byte[0]);
        return out.toByteArray();
    }

    static void chunk(ByteArrayOutputStream out, String type, byte[] data) {
        byte[] t = type.getBytes(StandardCharsets.US_ASCII);
        CRC32 crc = new CRC32();
        crc.update(t);
        crc.update(data);
        out.writeBytes(ByteBuffer.allocate(4).putInt(data.length).array());
        out.writeBytes(t);
        out.writeBytes(data);
        out.writeBytes(ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
    }

    static byte[] deflate(byte[] data) {
        Deflater deflater = new Deflater(Deflater.BEST_COMPRESSION);
        deflater.setInput(data);
        deflater.finish();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buffer = new byte[1 << 16];
        while (!deflater.finished()) {
            out.write(buffer, 0, deflater.deflate(buffer));
        }
        deflater.end();
        return out.toByteArray();
    }
}
