package org.minidiffusion.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.minidiffusion.core.api.Backend;
import org.minidiffusion.core.api.Backends;
import org.minidiffusion.core.api.Shape;
import org.minidiffusion.core.api.Tensor;

/**
 * Reads and writes safetensors files, the checkpoint format of Hugging Face, PyTorch and diffusers.
 *
 * <p>A file is an 8-byte little-endian header length {@code N}, {@code N} bytes of UTF-8 JSON
 * mapping each tensor name to its {@code dtype}, {@code shape} and {@code data_offsets}
 * (plus an optional {@code "__metadata__"} object of strings), then the data buffer: every
 * tensor's elements, little-endian and row-major, at its offsets relative to the buffer start.
 *
 * <p><b>Reading</b> accepts the dtypes {@code F32}, {@code F16}, {@code BF16}, {@code F64},
 * {@code I64}, {@code I32} and {@code U8}, all <em>converted to float32</em> (exactly, except
 * that {@code F64}, {@code I64} and large {@code I32} values are rounded to the nearest float).
 * It validates strictly: any malformed file throws {@link FileFormatException} naming the file
 * and, where there is one, the tensor. It works within stated {@link Limits}: by default a header
 * of at most 100,000,000 bytes (the reference implementation's limit) and at most 100,000 tensors,
 * both checked before the header is parsed, so a hostile header costs one linear scan. Tensor data
 * is streamed from the file through one 64 KiB buffer into each tensor's values; the peak heap of a
 * load is the loaded tensors plus one tensor's values (which the backend copies into its tensor).
 *
 * <p><b>Writing</b> produces {@code F32} tensors in the map's order, packed back to back, with
 * the header padded by spaces to a multiple of 8 bytes, as the reference implementation does.
 * The file is replaced atomically: readers see the old file or the complete new one, never a
 * partial file, and a failed write leaves the old file intact and no temporary file behind.
 *
 * @see <a href="https://github.com/huggingface/safetensors">the safetensors format</a>
 */
public final class Safetensors {
    /** The largest header accepted by default, as in the reference implementation. */
    public static final long MAX_HEADER_BYTES = 100_000_000L;

    private static final int CHUNK_BYTES = 1 << 16;

    /**
     * The largest header and tensor count {@link #read(Path, Backend, Limits)} accepts.
     *
     * @param maxHeaderBytes the largest JSON header, in bytes, 2 to {@code 2^31 - 9}
     * @param maxTensors     the most tensors a header may list, at least 0
     */
    public record Limits(long maxHeaderBytes, int maxTensors) {
        /** A header of at most {@value Safetensors#MAX_HEADER_BYTES} bytes with at most 100,000 tensors. */
        public static final Limits DEFAULT = new Limits(MAX_HEADER_BYTES, 100_000);

        /**
         * Checks the limits.
         *
         * @param maxHeaderBytes the largest header
         * @param maxTensors     the most tensors
         * @throws IllegalArgumentException if either is out of range
         */
        public Limits {
            if (maxHeaderBytes < 2 || maxHeaderBytes > Integer.MAX_VALUE - 8 || maxTensors < 0) {
                throw new IllegalArgumentException("Safetensors.Limits: need 2 <= maxHeaderBytes <= 2^31-9 and "
                        + "maxTensors >= 0, got " + maxHeaderBytes + " and " + maxTensors);
            }
        }
    }

    private Safetensors() {
    }

    /**
     * Reads every tensor of a file onto the {@linkplain Backends#current() current backend}.
     *
     * @param file the file
     * @return the tensors, in header order, and the metadata
     * @throws FileFormatException if the file is not valid safetensors or has an unsupported dtype
     * @throws IOException         if reading fails
     */
    public static SafetensorsFile read(Path file) throws IOException {
        return read(file, Backends.current());
    }

    /**
     * Reads every tensor of a file onto {@code backend}.
     *
     * @param file    the file
     * @param backend where to create the tensors
     * @return the tensors, in header order, and the metadata
     * @throws FileFormatException if the file is not valid safetensors or has an unsupported dtype
     * @throws IOException         if reading fails
     */
    public static SafetensorsFile read(Path file, Backend backend) throws IOException {
        return read(file, backend, Limits.DEFAULT);
    }

    /**
     * Reads every tensor of a file onto {@code backend}, refusing headers beyond {@code limits}.
     *
     * @param file    the file
     * @param backend where to create the tensors
     * @param limits  the largest header and tensor count to accept
     * @return the tensors, in header order, and the metadata
     * @throws FileFormatException if the file is not valid safetensors, has an unsupported dtype or
     *                             exceeds the limits
     * @throws IOException         if reading fails
     */
    public static SafetensorsFile read(Path file, Backend backend, Limits limits) throws IOException {
        Objects.requireNonNull(backend, "backend");
        Objects.requireNonNull(limits, "limits");
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = channel.size();
            if (size < 8) {
                throw new FileFormatException(file, "file is " + size
                        + " bytes, too short for the 8-byte header length (is it truncated?)");
            }
            long headerLength = readBytes(file, channel, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
            checkHeaderLength(file, headerLength, size - 8, limits);
            ByteBuffer headerBytes = readBytes(file, channel, 8, (int) headerLength);
            checkEntryCount(file, headerBytes, limits);
            String json = utf8(file, headerBytes);
            SafetensorsHeader header = SafetensorsHeader.parse(file, json, size - 8 - headerLength);
            if (header.entries().size() > limits.maxTensors()) {
                throw new FileFormatException(file, "header lists " + header.entries().size()
                        + " tensors, more than the limit of " + limits.maxTensors()
                        + " (pass larger Safetensors.Limits to read it)");
            }
            Map<String, Tensor> tensors = new LinkedHashMap<>();
            ByteBuffer chunk = ByteBuffer.allocate(CHUNK_BYTES).order(ByteOrder.LITTLE_ENDIAN);
            for (SafetensorsHeader.Entry e : header.entries()) {
                tensors.put(e.name(), backend.adopt(readData(file, channel, 8 + headerLength, e, chunk), e.shape()));
            }
            return new SafetensorsFile(file, tensors, header.metadata());
        }
    }

    /**
     * Writes tensors as float32 with no metadata; see {@link #write(Path, Map, Map)}.
     *
     * @param file    the file to create or replace
     * @param tensors the tensors by name, written in the map's iteration order
     * @throws IOException if writing fails; the old file, if any, is then unchanged
     */
    public static void write(Path file, Map<String, Tensor> tensors) throws IOException {
        write(file, tensors, Map.of());
    }

    /**
     * Writes tensors as float32, atomically replacing {@code file}.
     *
     * @param file     the file to create or replace
     * @param tensors  the tensors by name, written in the map's iteration order; no name may be
     *                 {@code "__metadata__"}
     * @param metadata free-form strings stored in the header, such as {@code {"format": "pt"}}
     * @throws IllegalArgumentException if a name is reserved or a key, value or tensor is null
     * @throws IOException              if writing fails; the old file, if any, is then unchanged
     */
    public static void write(Path file, Map<String, Tensor> tensors, Map<String, String> metadata)
            throws IOException {
        Map<String, Shape> shapes = shapes(tensors);
        metadata.forEach((k, v) -> {
            if (k == null || v == null) {
                throw new IllegalArgumentException("Safetensors.write: null metadata key or value for key " + k);
            }
        });
        byte[] header = SafetensorsHeader.encode(shapes, metadata);
        AtomicFiles.write(file, channel -> {
            ByteBuffer length = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(header.length);
            AtomicFiles.writeFully(channel, length.flip());
            AtomicFiles.writeFully(channel, ByteBuffer.wrap(header));
            for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
                writeFloats(channel, e.getKey(), e.getValue());
            }
        });
    }

    private static Map<String, Shape> shapes(Map<String, Tensor> tensors) {
        Map<String, Shape> shapes = new LinkedHashMap<>();
        tensors.forEach((name, tensor) -> {
            if (name == null || tensor == null) {
                throw new IllegalArgumentException("Safetensors.write: null name or tensor for name " + name);
            }
            if (name.equals(SafetensorsHeader.METADATA_KEY)) {
                throw new IllegalArgumentException("Safetensors.write: tensor name '" + name + "' is reserved");
            }
            shapes.put(name, tensor.shape());
        });
        return shapes;
    }

    private static void writeFloats(FileChannel channel, String name, Tensor tensor) throws IOException {
        float[] data = tensor.toArray();
        if (data.length != tensor.numel()) {
            throw new IllegalStateException("Safetensors.write: tensor '" + name + "' of shape " + tensor.shape()
                    + " returned " + data.length + " values");
        }
        ByteBuffer buffer = ByteBuffer.allocate(CHUNK_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < data.length; i += CHUNK_BYTES / 4) {
            int n = Math.min(CHUNK_BYTES / 4, data.length - i);
            buffer.clear();
            buffer.asFloatBuffer().put(data, i, n);
            buffer.limit(4 * n);
            AtomicFiles.writeFully(channel, buffer);
        }
    }

    private static void checkHeaderLength(Path file, long headerLength, long available, Limits limits)
            throws FileFormatException {
        if (headerLength < 0 || headerLength > available) {
            throw new FileFormatException(file, "header length " + Long.toUnsignedString(headerLength)
                    + " is larger than the " + available + " bytes after the length prefix (is the file truncated?)");
        }
        if (headerLength > limits.maxHeaderBytes()) {
            throw new FileFormatException(file, "header length " + headerLength + " exceeds the limit of "
                    + limits.maxHeaderBytes() + " bytes");
        }
    }

    /**
     * Counts the top-level entries of the header with one scan of its bytes, before any parsing,
     * and refuses more than the tensor limit plus the metadata entry.
     *
     * <p>It counts the commas outside strings at nesting depth 1; in a header that later parses,
     * that is the entry count minus one. A malformed header is left for the parser to report.
     */
    private static void checkEntryCount(Path file, ByteBuffer header, Limits limits) throws FileFormatException {
        long commas = 0;
        int depth = 0;
        boolean inString = false;
        for (int i = header.position(); i < header.limit(); i++) {
            byte b = header.get(i);
            if (inString) {
                if (b == '\\') {
                    i++;
                } else if (b == '"') {
                    inString = false;
                }
            } else if (b == '"') {
                inString = true;
            } else if (b == '{' || b == '[') {
                depth++;
            } else if (b == '}' || b == ']') {
                depth--;
            } else if (b == ',' && depth == 1) {
                commas++;
            }
        }
        long entries = commas + 1;
        if (entries > limits.maxTensors() + 1L) {
            throw new FileFormatException(file, "header lists about " + entries + " entries, more than the limit of "
                    + limits.maxTensors() + " tensors (pass larger Safetensors.Limits to read it)");
        }
    }

    private static String utf8(Path file, ByteBuffer bytes) throws FileFormatException {
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(bytes).toString();
        } catch (CharacterCodingException e) {
            throw new FileFormatException(file, "header is not valid UTF-8", e);
        }
    }

    private static float[] readData(Path file, FileChannel channel, long dataStart, SafetensorsHeader.Entry e,
                                    ByteBuffer chunk) throws IOException {
        int numel = e.numel();
        int width = e.dtype().bytes();
        int perChunk = CHUNK_BYTES / width;
        float[] values = new float[numel];
        for (int i = 0; i < numel; i += perChunk) {
            int n = Math.min(perChunk, numel - i);
            chunk.clear().limit(n * width);
            readFully(file, channel, dataStart + e.begin() + (long) i * width, chunk);
            e.dtype().decode(chunk.flip(), values, i, n);
        }
        return values;
    }

    private static ByteBuffer readBytes(Path file, FileChannel channel, long position, int count) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(count);
        readFully(file, channel, position, buffer);
        return buffer.flip();
    }

    private static void readFully(Path file, FileChannel channel, long position, ByteBuffer buffer)
            throws IOException {
        int count = buffer.remaining();
        int start = buffer.position();
        while (buffer.hasRemaining()) {
            if (channel.read(buffer, position + buffer.position() - start) < 0) {
                throw new FileFormatException(file, "file ended at byte " + (position + buffer.position() - start)
                        + " while " + count + " bytes from byte " + position + " were expected");
            }
        }
    }
}
