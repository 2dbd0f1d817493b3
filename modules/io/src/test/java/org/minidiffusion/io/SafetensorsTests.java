package org.minidiffusion.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.minidiffusion.core.api.Shape;
import org.minidiffusion.core.api.ShapeException;
import org.minidiffusion.core.api.Tensor;

class SafetensorsTests {
    @TempDir
    Path dir;

    // ------------------------------------------------------------------ writing and round trips

    @Test
    void roundTripKeepsValuesShapesOrderAndMetadata() throws IOException {
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        tensors.put("z.weight", Tensor.of(new float[] {1, -2, 3.5f, Float.NaN, Float.NEGATIVE_INFINITY, 1e-40f}, 2, 3));
        tensors.put("a.bias", Tensor.of(new float[] {0.25f}, 1));
        tensors.put("scalar", Tensor.scalar(-0f));
        tensors.put("empty", Tensor.of(new float[0], 0, 3));
        tensors.put("big", Tensor.arange(40_000).reshape(200, 200));
        Map<String, String> metadata = Map.of("format", "pt", "note", "quotes \" \\ and ünïcødé ✓\n");
        Path file = dir.resolve("model.safetensors");

        Safetensors.write(file, tensors, metadata);
        SafetensorsFile read = Safetensors.read(file);

        assertEquals(List.copyOf(tensors.keySet()), List.copyOf(read.tensors().keySet()));
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            assertEquals(e.getValue().shape(), read.tensor(e.getKey()).shape(), e.getKey());
            assertArrayEquals(e.getValue().toArray(), read.tensor(e.getKey()).toArray(), e.getKey());
        }
        assertEquals(metadata, read.metadata());
        assertEquals(file, read.file());
    }

    @Test
    void headerLayoutIsByteExactForATinyFile() throws IOException {
        Path file = dir.resolve("tiny.safetensors");
        Safetensors.write(file, Map.of("x", Tensor.of(new float[] {1.5f}, 1)));

        // 0x38 = 56: the 54-byte JSON padded with two spaces to a multiple of 8, then 1.5f little-endian.
        String expected = "3800000000000000"
                + hex("{\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}") + "2020"
                + "0000c03f";
        assertEquals(expected, HexFormat.of().formatHex(Files.readAllBytes(file)));
    }

    @Test
    void headerPutsMetadataFirstAndPacksTensorsInMapOrder() throws IOException {
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        tensors.put("b", Tensor.zeros(2, 2));
        tensors.put("a", Tensor.zeros(3));
        Path file = dir.resolve("two.safetensors");
        Safetensors.write(file, tensors, Map.of("format", "pt"));

        byte[] bytes = Files.readAllBytes(file);
        long headerLength = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong();
        String header = new String(bytes, 8, (int) headerLength, StandardCharsets.UTF_8);
        assertEquals("{\"__metadata__\":{\"format\":\"pt\"},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,16]},"
                + "\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[16,28]}}", header.stripTrailing());
        assertEquals(0, headerLength % 8);
        assertEquals(8 + headerLength + 28, bytes.length);
    }

    @Test
    void writeRejectsTheReservedName() {
        Map<String, Tensor> tensors = Map.of("__metadata__", Tensor.zeros(1));
        Exception e = assertThrows(IllegalArgumentException.class,
                () -> Safetensors.write(dir.resolve("x.safetensors"), tensors));
        assertTrue(e.getMessage().contains("__metadata__"), e.getMessage());
    }

    // ------------------------------------------------------------------ reading PyTorch-style files

    @Test
    void readsEveryDtypeOfAPyTorchStyleFileConvertedToFloat() throws IOException {
        // As safetensors' save_file lays it out: metadata first, data sorted by alignment then name.
        // The header keys here are alphabetical, a different order from the data, as may happen.
        String header = "{\"__metadata__\":{\"format\":\"pt\"},"
                + "\"bf\":{\"dtype\":\"BF16\",\"shape\":[2,2],\"data_offsets\":[32,40]},"
                + "\"d\":{\"dtype\":\"F64\",\"shape\":[2],\"data_offsets\":[0,16]},"
                + "\"h\":{\"dtype\":\"F16\",\"shape\":[9],\"data_offsets\":[40,58]},"
                + "\"i\":{\"dtype\":\"I32\",\"shape\":[2],\"data_offsets\":[24,32]},"
                + "\"step\":{\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[16,24]},"
                + "\"u\":{\"dtype\":\"U8\",\"shape\":[3],\"data_offsets\":[58,61]}}";
        String data = "9a9999999999b93f" + "9c7500883ce437fe" // F64 0.1, -1e300
                + "d204000000000000" // I64 1234
                + "f9ffffff" + "01000001" // I32 -7, 16777217
                + "803f" + "00c0" + "4940" + "0100" // BF16 1, -2, 3.140625, smallest subnormal
                + "003c" + "00c1" + "ff7b" + "0004" + "0100" + "007c" + "0080" + "5535" + "007e" // F16
                + "007fff"; // U8 0, 127, 255
        Path file = write("pt.safetensors", padded(header), HexFormat.of().parseHex(data));

        SafetensorsFile read = Safetensors.read(file);

        assertEquals(List.of("bf", "d", "h", "i", "step", "u"), List.copyOf(read.tensors().keySet()));
        assertEquals(Map.of("format", "pt"), read.metadata());
        assertArrayEquals(new float[] {0.1f, Float.NEGATIVE_INFINITY}, read.tensor("d").toArray());
        assertEquals(Shape.of(), read.tensor("step").shape());
        assertEquals(1234f, read.tensor("step").item());
        assertArrayEquals(new float[] {-7f, 16777216f}, read.tensor("i").toArray());
        assertEquals(Shape.of(2, 2), read.tensor("bf").shape());
        assertArrayEquals(new float[] {1f, -2f, 3.140625f, Float.intBitsToFloat(0x10000)}, read.tensor("bf").toArray());
        assertArrayEquals(new float[] {1f, -2.5f, 65504f, 0x1p-14f, 0x1p-24f, Float.POSITIVE_INFINITY, -0f,
            0.333251953125f, Float.NaN}, read.tensor("h").toArray());
        assertArrayEquals(new float[] {0f, 127f, 255f}, read.tensor("u").toArray());
    }

    @Test
    void acceptsAnEmptyFileAndHeaderWhitespace() throws IOException {
        Path file = write("empty.safetensors", "{ }\n\t  ", new byte[0]);
        SafetensorsFile read = Safetensors.read(file);
        assertTrue(read.tensors().isEmpty());
        assertTrue(read.metadata().isEmpty());
    }

    // ------------------------------------------------------------------ validation

    @Test
    void requireShapesNamesMissingAndMismatchedKeys() throws IOException {
        Path file = dir.resolve("m.safetensors");
        Safetensors.write(file, Map.of("w", Tensor.zeros(2, 3), "extra", Tensor.zeros(1)));
        SafetensorsFile read = Safetensors.read(file);

        assertEquals(read, read.requireShapes(Map.of("w", Shape.of(2, 3))));
        Map<String, Shape> expected = new LinkedHashMap<>();
        expected.put("w", Shape.of(3, 2));
        expected.put("b", Shape.of(3));
        ShapeException e = assertThrows(ShapeException.class, () -> read.requireShapes(expected));
        assertEquals("requireShapes: " + file + ": tensor 'w' has shape (2, 3), expected (3, 2); "
                + "tensor 'b' is missing (expected shape (3))", e.getMessage());
        Exception missing = assertThrows(IllegalArgumentException.class, () -> read.tensor("nope"));
        assertTrue(missing.getMessage().contains("'nope'") && missing.getMessage().contains(file.toString()));
    }

    @Test
    void rejectsAFileShorterThanTheLengthPrefix() throws IOException {
        Path file = dir.resolve("short.safetensors");
        Files.write(file, new byte[] {1, 2, 3, 4, 5});
        assertCorrupt(file, "is 5 bytes, too short for the 8-byte header length");
    }

    @Test
    void rejectsAHeaderLengthLargerThanTheFile() throws IOException {
        Path file = dir.resolve("long.safetensors");
        byte[] header = "{}".getBytes(StandardCharsets.US_ASCII);
        Files.write(file, concat(HexFormat.of().parseHex("e803000000000000"), header));
        assertCorrupt(file, "header length 1000 is larger than the 2 bytes after the length prefix");
        Files.write(file, HexFormat.of().parseHex("ffffffffffffffff"));
        assertCorrupt(file, "header length 18446744073709551615 is larger than the 0 bytes");
    }

    @Test
    void rejectsInvalidJson() throws IOException {
        assertCorrupt(write("{\"w\":{\"dtype\":\"F32\",}}", 0), "header is not valid JSON: expected a string key");
        assertCorrupt(write("[1, 2]", 0), "header does not start with '{'");
        assertCorrupt(write("{\"a\":1,\"a\":2}", 0), "duplicate key \"a\"");
        assertCorrupt(write("{} x", 0), "unexpected 'x' after the JSON value");
        byte[] badHeader = {'{', '"', (byte) 0xc3, '"', ':', '1', '}', ' '};
        Path notUtf8 = write("bad.safetensors", badHeader, new byte[0]);
        assertCorrupt(notUtf8, "header is not valid UTF-8");
    }

    @Test
    void rejectsAnUnknownDtypeNamingTheKey() throws IOException {
        assertCorrupt(write(entry("w", "F8_E4M3", "[2]", "[0,2]"), 2),
                "tensor 'w': unsupported dtype 'F8_E4M3' (readable: [F64, F32, F16, BF16, I64, I32, U8])");
    }

    @Test
    void rejectsAShapeThatDoesNotMatchTheOffsets() throws IOException {
        assertCorrupt(write(entry("w", "F32", "[2,3]", "[0,20]"), 20),
                "tensor 'w': dtype F32 and shape [2, 3] need 24 bytes, but data_offsets [0, 20] span 20");
    }

    @Test
    void rejectsMalformedEntries() throws IOException {
        assertCorrupt(write(entry("w", "F32", "[-1]", "[0,0]"), 0), "tensor 'w': shape must be an array of");
        assertCorrupt(write(entry("w", "F32", "[1]", "[0]"), 4), "tensor 'w': data_offsets must be an array of 2");
        assertCorrupt(write(entry("w", "F32", "[1]", "[8,4]"), 8), "tensor 'w': data_offsets [8, 4] end before");
        assertCorrupt(write("{\"w\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4],\"x\":1}}", 4),
                "tensor 'w': unknown field(s) [x]");
        assertCorrupt(write("{\"w\":[]}", 0), "tensor 'w': expected an object");
        assertCorrupt(write("{\"__metadata__\":{\"k\":1}}", 0), "__metadata__ key 'k' must have a string value");
    }

    @Test
    void rejectsOffsetsOutsideTheBuffer() throws IOException {
        assertCorrupt(write(entry("w", "F32", "[6]", "[0,24]"), 20),
                "tensor 'w': data_offsets [0, 24] extend past the end of the 20-byte data buffer");
    }

    @Test
    void rejectsOverlappingOffsets() throws IOException {
        assertCorrupt(write(twoEntries("[0,8]", "[4,12]"), 12),
                "tensor 'b': data_offsets [4, 12] overlap tensor 'a' at [0, 8]");
    }

    @Test
    void rejectsHolesAndUnusedTrailingBytes() throws IOException {
        assertCorrupt(write(twoEntries("[0,8]", "[12,20]"), 20),
                "tensor 'b': data_offsets [12, 20] leave a hole of 4 unused bytes after tensor 'a'");
        assertCorrupt(write(twoEntries("[4,12]", "[12,20]"), 20),
                "tensor 'a': data_offsets [4, 12] leave a hole of 4 unused bytes after the start");
        assertCorrupt(write(twoEntries("[0,8]", "[8,16]"), 19),
                "3 bytes at the end of the 19-byte data buffer belong to no tensor (the last is tensor 'b')");
    }

    @Test
    void rejectsATruncatedDataBuffer() throws IOException {
        Path file = dir.resolve("cut.safetensors");
        Safetensors.write(file, Map.of("w", Tensor.zeros(4)));
        byte[] bytes = Files.readAllBytes(file);
        Files.write(file, java.util.Arrays.copyOf(bytes, bytes.length - 1));
        assertCorrupt(file, "tensor 'w': data_offsets [0, 16] extend past the end of the 15-byte data buffer");
    }

    // ------------------------------------------------------------------ atomic writes

    @Test
    void failedWriteKeepsTheOldFileAndLeavesNoTemporaryFile() throws IOException {
        Path file = dir.resolve("model.safetensors");
        Safetensors.write(file, Map.of("w", Tensor.of(new float[] {1, 2}, 2)));
        byte[] before = Files.readAllBytes(file);
        Tensor broken = mock(Tensor.class);
        when(broken.shape()).thenReturn(Shape.of(1000));
        when(broken.toArray()).thenThrow(new IllegalStateException("device lost"));
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        tensors.put("ok", Tensor.ones(100_000));
        tensors.put("broken", broken);

        Exception e = assertThrows(IllegalStateException.class, () -> Safetensors.write(file, tensors));

        assertEquals("device lost", e.getMessage());
        assertArrayEquals(before, Files.readAllBytes(file));
        assertEquals(List.of(file), listing(dir));
    }

    @Test
    void failedRenameLeavesNoTemporaryFile() throws IOException {
        Path target = Files.createDirectory(dir.resolve("occupied"));
        Files.writeString(target.resolve("keep.txt"), "keep");
        assertThrows(IOException.class, () -> Safetensors.write(target, Map.of("w", Tensor.zeros(1))));
        assertEquals(List.of(target), listing(dir));
        assertEquals("keep", Files.readString(target.resolve("keep.txt")));
    }

    @Test
    void writingIntoAReadOnlyDirectoryFailsAndKeepsTheOldFile() throws IOException {
        Path readOnly = Files.createDirectory(dir.resolve("ro"));
        Path file = readOnly.resolve("model.safetensors");
        Safetensors.write(file, Map.of("w", Tensor.zeros(1)));
        byte[] before = Files.readAllBytes(file);
        Files.setPosixFilePermissions(readOnly, PosixFilePermissions.fromString("r-xr-xr-x"));
        try {
            assumeFalse(Files.isWritable(readOnly), "permissions are not enforced (running as root?)");
            assertThrows(IOException.class, () -> Safetensors.write(file, Map.of("w", Tensor.ones(3))));
            assertArrayEquals(before, Files.readAllBytes(file));
            assertEquals(List.of(file), listing(readOnly));
        } finally {
            Files.setPosixFilePermissions(readOnly, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
    }

    // ------------------------------------------------------------------ helpers

    private static void assertCorrupt(Path file, String fragment) {
        FileFormatException e = assertThrows(FileFormatException.class, () -> Safetensors.read(file));
        assertTrue(e.getMessage().startsWith(file + ": "), e.getMessage());
        assertTrue(e.getMessage().contains(fragment), () -> "expected «" + fragment + "» in: " + e.getMessage());
        assertEquals(file, e.file());
    }

    private static String entry(String name, String dtype, String shape, String offsets) {
        return "{\"" + name + "\":{\"dtype\":\"" + dtype + "\",\"shape\":" + shape
                + ",\"data_offsets\":" + offsets + "}}";
    }

    private static String twoEntries(String offsetsA, String offsetsB) {
        return "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":" + offsetsA + "},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":" + offsetsB + "}}";
    }

    private int counter;

    private Path write(String header, int dataBytes) throws IOException {
        return write("corrupt" + counter++ + ".safetensors", header, new byte[dataBytes]);
    }

    private Path write(String name, String header, byte[] data) throws IOException {
        return write(name, header.getBytes(StandardCharsets.UTF_8), data);
    }

    private Path write(String name, byte[] header, byte[] data) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(header.length).array());
        out.write(header);
        out.write(data);
        return Files.write(dir.resolve(name), out.toByteArray());
    }

    private static String padded(String header) {
        return header + " ".repeat((8 - header.length() % 8) % 8);
    }

    private static String hex(String ascii) {
        return HexFormat.of().formatHex(ascii.getBytes(StandardCharsets.US_ASCII));
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] result = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, result, a.length, b.length);
        return result;
    }

    static List<Path> listing(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.sorted().toList();
        }
    }
}
