package org.minidiffusion.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.zip.CRC32;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.minidiffusion.core.api.Tensor;

/**
 * A seeded fuzz suite over the PNG, IDX and safetensors readers.
 *
 * <p>Each loader gets mutants of a few valid files: byte and bit flips, truncations, deleted and
 * duplicated ranges, 32- and 64-bit fields set to boundary values, and format-aware edits (PNG
 * header fields and data with the CRCs fixed up, IDX dims, safetensors header numbers and dtypes
 * and the length prefix). Every input must either load or throw {@link FileFormatException} whose
 * message starts with the file; any other exception, an {@link OutOfMemoryError}, or one input
 * taking longer than {@link #HANG_SECONDS} (a hang detector, not a speed claim) fails the test, and
 * the input is saved under {@code target/fuzz-failures} to reproduce it.
 *
 * <p>{@code mvn verify} runs {@value #DEFAULT_ITERATIONS} inputs per loader. Run longer with, for
 * example:
 * <pre>
 * mvn -B verify -pl modules/io -am -Dsurefire.failIfNoSpecifiedTests=false -Dtest=ReaderFuzzTests \
 *     -Dminidiffusion.fuzz.iterations=20000 -Dminidiffusion.fuzz.seed=7
 * </pre>
 */
class ReaderFuzzTests {
    /** The system property giving the number of inputs per loader. */
    static final String ITERATIONS_PROPERTY = "minidiffusion.fuzz.iterations";
    /** The system property giving the base seed; each input's seed derives from it and its index. */
    static final String SEED_PROPERTY = "minidiffusion.fuzz.seed";
    static final int DEFAULT_ITERATIONS = 300;
    static final int HANG_SECONDS = 20;

    private static final long[] INTERESTING = {0, 1, 2, 7, 8, 13, 255, 256, 0x7fff, 0x8000, 0xffff, 0x10000,
        30_000, 45_000, 16_384, 16_385, 100_000_000, 0x7fffffffL, 0x80000000L, 0xffffffffL, -1, -2,
        Long.MAX_VALUE, Long.MIN_VALUE};

    @TempDir
    Path dir;

    /** Loads a file, throwing whatever the reader throws. */
    @FunctionalInterface
    interface Loader {
        void load(Path file) throws IOException;
    }

    /** Makes one mutant of a seed. */
    @FunctionalInterface
    interface Mutator {
        byte[] mutate(byte[] seed, Random random);
    }

    @Test
    void pngReader() throws IOException {
        Random random = new Random(1);
        List<byte[]> seeds = List.of(
                png(random, 5, 7, 8, 0, false), png(random, 6, 4, 8, 2, false), png(random, 9, 9, 4, 3, false),
                png(random, 11, 6, 16, 0, true), png(random, 7, 10, 8, 6, true), png(random, 3, 3, 8, 4, false),
                png(random, 17, 5, 1, 0, true), png(random, 4, 4, 16, 2, false));
        run("png", seeds, ReaderFuzzTests::mutatePng, file -> Images.readPng(file));
    }

    @Test
    void idxReader() throws IOException {
        byte[] images = hex("00000803" + "00000002" + "00000003" + "00000004"
                + "000102030405060708090a0b0c0d0e0f1011121314151617");
        byte[] labels = hex("00000801" + "00000005" + "0001020304");
        List<byte[]> seeds = List.of(images, labels, gzip(images), gzip(labels));
        run("idx", seeds, ReaderFuzzTests::mutateIdx, file -> Idx.read(file));
    }

    @Test
    void safetensorsReader() throws IOException {
        Path written = dir.resolve("seed.safetensors");
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        tensors.put("conv.weight", Tensor.arange(0, 24, 1).reshape(2, 3, 2, 2));
        tensors.put("conv.bias", Tensor.of(new float[] {0.5f, -2f}, 2));
        Safetensors.write(written, tensors, Map.of("format", "pt", "step", "12"));
        String header = "{\"__metadata__\":{\"k\":\"v\"},"
                + "\"h\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,4]},"
                + "\"b\":{\"dtype\":\"BF16\",\"shape\":[1,2],\"data_offsets\":[4,8]},"
                + "\"l\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[8,16]},"
                + "\"u\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[16,20]},"
                + "\"d\":{\"dtype\":\"F64\",\"shape\":[],\"data_offsets\":[20,28]},"
                + "\"i\":{\"dtype\":\"I32\",\"shape\":[1,1],\"data_offsets\":[28,32]}}";
        List<byte[]> seeds = List.of(Files.readAllBytes(written), safetensors(header, 32));
        run("safetensors", seeds, ReaderFuzzTests::mutateSafetensors, file -> Safetensors.read(file));
    }

    // ------------------------------------------------------------------ the harness

    private void run(String name, List<byte[]> seeds, Mutator mutator, Loader loader) throws IOException {
        int iterations = Integer.getInteger(ITERATIONS_PROPERTY, DEFAULT_ITERATIONS);
        long baseSeed = Long.getLong(SEED_PROPERTY, 20_261_202L);
        Path file = dir.resolve("input." + name);
        for (byte[] seed : seeds) {
            Files.write(file, seed);
            loader.load(file); // every seed must be valid, or the mutants test little
        }
        int loaded = 0;
        int clean = 0;
        int ooms = 0;
        long maxNanos = 0;
        List<String> failures = new ArrayList<>();
        long start = System.nanoTime();
        for (int i = 0; i < iterations; i++) {
            long seed = baseSeed * 1_000_003L + i;
            Random random = new Random(seed);
            byte[] input = seeds.get(random.nextInt(seeds.size()));
            int rounds = 1 + random.nextInt(3);
            for (int r = 0; r < rounds; r++) {
                input = mutator.mutate(input, random);
            }
            Files.write(file, input);
            long t0 = System.nanoTime();
            String failure = null;
            try {
                loader.load(file);
                loaded++;
            } catch (FileFormatException e) {
                if (e.getMessage().startsWith(file + ": ")) {
                    clean++;
                } else {
                    failure = "message does not start with the file: " + e.getMessage();
                }
            } catch (OutOfMemoryError e) {
                ooms++;
                failure = "OutOfMemoryError: " + e.getMessage();
            } catch (Throwable e) {
                failure = e.toString();
            }
            long nanos = System.nanoTime() - t0;
            maxNanos = Math.max(maxNanos, nanos);
            if (failure == null && nanos > HANG_SECONDS * 1_000_000_000L) {
                failure = "took " + nanos / 1e9 + " s";
            }
            if (failure != null) {
                Path saved = Path.of("target", "fuzz-failures", name + "-seed-" + seed + ".bin");
                Files.createDirectories(saved.getParent());
                Files.write(saved, input);
                failures.add("input " + i + " (seed " + seed + ", saved as " + saved + "): " + failure);
            }
        }
        System.out.printf("fuzz %s: %d inputs, %d loaded, %d clean FileFormatExceptions, %d crashes, %d OOMs; "
                + "slowest input %.0f ms, all %.1f s (seed %d)%n", name, iterations, loaded, clean,
                failures.size() - ooms, ooms, maxNanos / 1e6, (System.nanoTime() - start) / 1e9, baseSeed);
        assertTrue(failures.isEmpty(), () -> failures.size() + " of " + iterations + " " + name
                + " inputs failed:\n" + String.join("\n", failures.subList(0, Math.min(20, failures.size()))));
        assertEquals(iterations, loaded + clean);
        assertTrue(clean > 0, "some mutants must be refused, or the mutators do nothing");
    }

    // ------------------------------------------------------------------ generic mutations

    private static byte[] mutateBytes(byte[] in, Random random) {
        byte[] b = in.clone();
        switch (random.nextInt(8)) {
            case 0 -> { // flip up to 4 bytes
                for (int k = 1 + random.nextInt(4); k > 0 && b.length > 0; k--) {
                    b[random.nextInt(b.length)] = (byte) random.nextInt(256);
                }
            }
            case 1 -> { // flip one bit
                if (b.length > 0) {
                    b[random.nextInt(b.length)] ^= (byte) (1 << random.nextInt(8));
                }
            }
            case 2 -> b = Arrays.copyOf(b, random.nextInt(b.length + 1)); // truncate
            case 3 -> { // delete a range
                int from = random.nextInt(b.length + 1);
                int to = from + random.nextInt(b.length - from + 1);
                b = concat(Arrays.copyOfRange(b, 0, from), Arrays.copyOfRange(b, to, b.length));
            }
            case 4 -> { // duplicate a range
                int from = random.nextInt(b.length + 1);
                int to = from + random.nextInt(Math.min(64, b.length - from) + 1);
                byte[] copy = Arrays.copyOfRange(b, from, to);
                int at = random.nextInt(b.length + 1);
                b = concat(concat(Arrays.copyOfRange(b, 0, at), copy), Arrays.copyOfRange(b, at, b.length));
            }
            case 5 -> { // a 32-bit field, big-endian, to a boundary value
                if (b.length >= 4) {
                    int at = random.nextInt(b.length - 3);
                    ByteBuffer.wrap(b).putInt(at, (int) INTERESTING[random.nextInt(INTERESTING.length)]);
                }
            }
            case 6 -> { // a 64-bit field, little-endian, to a boundary value
                if (b.length >= 8) {
                    int at = random.nextInt(b.length - 7);
                    ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN)
                            .putLong(at, INTERESTING[random.nextInt(INTERESTING.length)]);
                }
            }
            default -> { // append random bytes
                byte[] tail = new byte[1 + random.nextInt(32)];
                random.nextBytes(tail);
                b = concat(b, tail);
            }
        }
        return b;
    }

    // ------------------------------------------------------------------ PNG

    private static byte[] mutatePng(byte[] in, Random random) {
        int kind = random.nextInt(10);
        if (kind < 4) {
            return mutateBytes(in, random);
        }
        List<byte[][]> chunks = chunks(in);
        if (chunks == null || chunks.isEmpty()) {
            return mutateBytes(in, random);
        }
        switch (kind) {
            case 4, 5 -> { // edit an IHDR field, CRC fixed
                byte[] ihdr = chunks.get(0)[1].clone();
                if (ihdr.length == 13) {
                    int field = random.nextInt(7);
                    ByteBuffer buffer = ByteBuffer.wrap(ihdr);
                    if (field < 2) {
                        buffer.putInt(4 * field, (int) INTERESTING[random.nextInt(INTERESTING.length)]);
                    } else {
                        ihdr[6 + field] = (byte) (random.nextBoolean() ? random.nextInt(256)
                                : new int[] {0, 1, 2, 3, 4, 6, 8, 16}[random.nextInt(8)]);
                    }
                    chunks.get(0)[1] = ihdr;
                }
            }
            case 6 -> { // mutate a chunk's data, CRC fixed
                byte[][] c = chunks.get(random.nextInt(chunks.size()));
                c[1] = mutateBytes(c[1], random);
            }
            case 7 -> { // new image data: valid zlib of a random size with random filter bytes
                byte[] raw = new byte[random.nextInt(600)];
                random.nextBytes(raw);
                for (byte[][] c : chunks) {
                    if (new String(c[0], StandardCharsets.US_ASCII).equals("IDAT")) {
                        c[1] = RegressionCorpusTests.deflate(raw);
                        break;
                    }
                }
            }
            case 8 -> { // drop, duplicate or move a chunk
                int i = random.nextInt(chunks.size());
                byte[][] c = chunks.remove(i);
                if (random.nextBoolean()) {
                    chunks.add(random.nextInt(chunks.size() + 1), c);
                    if (random.nextBoolean()) {
                        chunks.add(random.nextInt(chunks.size() + 1), c);
                    }
                }
            }
            default -> { // insert an ancillary or unknown chunk
                String[] types = {"tEXt", "gAMA", "PLTE", "tRNS", "zTXt", "iCCP", "abCd", "ABCD", "IDAT"};
                byte[] data = new byte[random.nextInt(40)];
                random.nextBytes(data);
                chunks.add(random.nextInt(chunks.size() + 1),
                        new byte[][] {types[random.nextInt(types.length)].getBytes(StandardCharsets.US_ASCII), data});
            }
        }
        return assemble(chunks);
    }

    /** Splits a PNG into chunks (type, data), or returns null if it is not well-formed enough. */
    private static List<byte[][]> chunks(byte[] png) {
        List<byte[][]> chunks = new ArrayList<>();
        int pos = 8;
        while (pos + 12 <= png.length) {
            int length = ByteBuffer.wrap(png).getInt(pos);
            if (length < 0 || pos + 12L + length > png.length) {
                return null;
            }
            chunks.add(new byte[][] {Arrays.copyOfRange(png, pos + 4, pos + 8),
                Arrays.copyOfRange(png, pos + 8, pos + 8 + length)});
            pos += 12 + length;
        }
        return chunks;
    }

    private static byte[] assemble(List<byte[][]> chunks) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
        for (byte[][] c : chunks) {
            CRC32 crc = new CRC32();
            crc.update(c[0]);
            crc.update(c[1]);
            out.writeBytes(ByteBuffer.allocate(4).putInt(c[1].length).array());
            out.writeBytes(c[0]);
            out.writeBytes(c[1]);
            out.writeBytes(ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
        }
        return out.toByteArray();
    }

    /** A valid PNG with random pixels and random row filters. */
    private static byte[] png(Random random, int w, int h, int depth, int colourType, boolean interlaced) {
        int samples = switch (colourType) {
            case 2 -> 3;
            case 4 -> 2;
            case 6 -> 4;
            default -> 1;
        };
        int[][] passes = interlaced
                ? new int[][] {{0, 0, 8, 8}, {4, 0, 8, 8}, {0, 4, 4, 8}, {2, 0, 4, 4}, {0, 2, 2, 4}, {1, 0, 2, 2},
                    {0, 1, 1, 2}}
                : new int[][] {{0, 0, 1, 1}};
        ByteArrayOutputStream raw = new ByteArrayOutputStream();
        int paletteSize = 1 << Math.min(depth, 8);
        for (int[] p : passes) {
            int pw = w <= p[0] ? 0 : (w - p[0] + p[2] - 1) / p[2];
            int ph = h <= p[1] ? 0 : (h - p[1] + p[3] - 1) / p[3];
            if (pw == 0 || ph == 0) {
                continue;
            }
            for (int y = 0; y < ph; y++) {
                raw.write(random.nextInt(5));
                byte[] row = new byte[(pw * samples * depth + 7) / 8];
                random.nextBytes(row);
                raw.writeBytes(row);
            }
        }
        ByteBuffer ihdr = ByteBuffer.allocate(13).putInt(w).putInt(h).put((byte) depth).put((byte) colourType)
                .put((byte) 0).put((byte) 0).put((byte) (interlaced ? 1 : 0));
        List<byte[][]> chunks = new ArrayList<>();
        chunks.add(new byte[][] {"IHDR".getBytes(StandardCharsets.US_ASCII), ihdr.array()});
        if (colourType == 3) {
            byte[] palette = new byte[3 * paletteSize];
            random.nextBytes(palette);
            chunks.add(new byte[][] {"PLTE".getBytes(StandardCharsets.US_ASCII), palette});
        }
        byte[] data = RegressionCorpusTests.deflate(raw.toByteArray());
        int half = data.length / 2; // two IDAT chunks, as encoders split them
        chunks.add(new byte[][] {"IDAT".getBytes(StandardCharsets.US_ASCII), Arrays.copyOf(data, half)});
        chunks.add(new byte[][] {"IDAT".getBytes(StandardCharsets.US_ASCII), Arrays.copyOfRange(data, half, data.length)});
        chunks.add(new byte[][] {"IEND".getBytes(StandardCharsets.US_ASCII), new byte[0]});
        return assemble(chunks);
    }

    // ------------------------------------------------------------------ IDX

    private static byte[] mutateIdx(byte[] in, Random random) {
        boolean gzipped = in.length > 2 && (in[0] & 0xff) == 0x1f && (in[1] & 0xff) == 0x8b;
        if (gzipped && random.nextBoolean()) {
            try { // mutate the content and compress it again
                return gzip(mutateIdx(gunzip(in), random));
            } catch (IOException e) {
                return mutateBytes(in, random);
            }
        }
        if (!gzipped && in.length >= 4 && random.nextInt(3) == 0) { // edit the rank or a dim
            byte[] b = in.clone();
            int rank = b[3] & 0xff;
            if (random.nextBoolean() || rank == 0) {
                b[3] = (byte) random.nextInt(6);
            } else if (b.length >= 4 + 4 * rank) {
                ByteBuffer.wrap(b).putInt(4 + 4 * random.nextInt(rank),
                        (int) INTERESTING[random.nextInt(INTERESTING.length)]);
            }
            return b;
        }
        return mutateBytes(in, random);
    }

    private static byte[] gunzip(byte[] gz) throws IOException {
        try (java.util.zip.GZIPInputStream in = new java.util.zip.GZIPInputStream(
                new java.io.ByteArrayInputStream(gz))) {
            return in.readNBytes(1 << 20);
        }
    }

    // ------------------------------------------------------------------ safetensors

    private static final String[] NUMBERS = {"0", "1", "-1", "4", "8", "2147483647", "2147483648", "4294967296",
        "9223372036854775807", "99999999999999999999", "1.5", "1e308", "-0", "24", "32", "65536", "100000000"};
    private static final String[] DTYPES = {"F32", "F16", "BF16", "F64", "I64", "I32", "U8", "F8_E4M3", "BOOL",
        "", "f32"};

    private static byte[] mutateSafetensors(byte[] in, Random random) {
        if (in.length < 8 || random.nextInt(3) == 0) {
            return mutateBytes(in, random);
        }
        long n = ByteBuffer.wrap(in).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        if (n < 2 || n > in.length - 8) {
            return mutateBytes(in, random);
        }
        String header = new String(in, 8, (int) n, StandardCharsets.UTF_8);
        byte[] data = Arrays.copyOfRange(in, 8 + (int) n, in.length);
        switch (random.nextInt(6)) {
            case 0, 1 -> header = replaceRandom(header, "-?[0-9]+(\\.[0-9]+)?(e[0-9]+)?",
                    NUMBERS[random.nextInt(NUMBERS.length)], random);
            case 2 -> header = replaceRandom(header, "\"(F32|F16|BF16|F64|I64|I32|U8)\"",
                    "\"" + DTYPES[random.nextInt(DTYPES.length)] + "\"", random);
            case 3 -> { // delete or duplicate a character of the JSON
                int at = random.nextInt(header.length());
                header = random.nextBoolean() ? header.substring(0, at) + header.substring(at + 1)
                        : header.substring(0, at) + header.charAt(at) + header.substring(at);
            }
            case 4 -> { // change the data buffer's size
                data = Arrays.copyOf(data, Math.max(0, data.length + random.nextInt(17) - 8));
            }
            default -> { // a wrong length prefix
                byte[] b = in.clone();
                ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putLong(0, n + random.nextInt(9) - 4);
                return b;
            }
        }
        return safetensors(header, data);
    }

    private static String replaceRandom(String text, String regex, String replacement, Random random) {
        List<int[]> matches = new ArrayList<>();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile(regex).matcher(text);
        while (m.find()) {
            matches.add(new int[] {m.start(), m.end()});
        }
        if (matches.isEmpty()) {
            return text;
        }
        int[] at = matches.get(random.nextInt(matches.size()));
        return text.substring(0, at[0]) + replacement + text.substring(at[1]);
    }

    private static byte[] safetensors(String header, int dataBytes) {
        byte[] data = new byte[dataBytes];
        new Random(dataBytes).nextBytes(data);
        return safetensors(header, data);
    }

    private static byte[] safetensors(String header, byte[] data) {
        byte[] json = header.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(8 + json.length + data.length).order(ByteOrder.LITTLE_ENDIAN)
                .putLong(json.length).put(json).put(data).array();
    }

    // ------------------------------------------------------------------ helpers

    private static byte[] hex(String s) {
        return java.util.HexFormat.of().parseHex(s);
    }

    private static byte[] gzip(byte[] bytes) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(bytes);
        }
        return out.toByteArray();
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] c = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }
}
