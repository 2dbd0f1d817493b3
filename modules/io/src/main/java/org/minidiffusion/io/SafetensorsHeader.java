package org.minidiffusion.io;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.StringJoiner;
import java.util.TreeSet;
import org.minidiffusion.core.api.Shape;

/** The parsed and validated JSON header of a safetensors file, and its encoder. */
final class SafetensorsHeader {
    /** The reserved key of the string-to-string metadata object. */
    static final String METADATA_KEY = "__metadata__";

    private static final Set<String> FIELDS = Set.of("dtype", "shape", "data_offsets");

    /** One tensor's entry: where its bytes are in the data buffer and how to read them. */
    record Entry(String name, Dtype dtype, int[] shape, long begin, long end) {
        /** {@return the element count, the product of the shape} */
        int numel() {
            int n = 1;
            for (int d : shape) {
                n *= d;
            }
            return n;
        }

        /** {@return {@code tensor 'name'}, for messages} */
        String where() {
            return "tensor '" + name + "'";
        }
    }

    private final List<Entry> entries;
    private final Map<String, String> metadata;

    private SafetensorsHeader(List<Entry> entries, Map<String, String> metadata) {
        this.entries = entries;
        this.metadata = metadata;
    }

    /** {@return the tensor entries, in JSON order} */
    List<Entry> entries() {
        return entries;
    }

    /** {@return the metadata, empty if the header has none} */
    Map<String, String> metadata() {
        return metadata;
    }

    /**
     * Parses and validates a header against the size of the data buffer that follows it.
     *
     * @param file       the file, for messages
     * @param json       the header text
     * @param bufferSize the byte count after the header
     * @return the header, its entries in JSON order
     * @throws FileFormatException naming the file and tensor at fault
     */
    static SafetensorsHeader parse(Path file, String json, long bufferSize) throws FileFormatException {
        if (!json.startsWith("{")) {
            throw new FileFormatException(file, "header does not start with '{'");
        }
        Map<?, ?> root = parseObject(file, json);
        List<Entry> entries = new ArrayList<>();
        Map<String, String> metadata = Map.of();
        for (Map.Entry<?, ?> e : root.entrySet()) {
            String key = (String) e.getKey();
            if (key.equals(METADATA_KEY)) {
                metadata = metadata(file, e.getValue());
            } else {
                entries.add(entry(file, key, e.getValue()));
            }
        }
        checkLayout(file, entries, bufferSize);
        return new SafetensorsHeader(entries, metadata);
    }

    /**
     * Encodes a float32 header: compact JSON, metadata first (omitted if empty), tensors in the
     * given order and packed back to back, padded with spaces to a multiple of 8 bytes.
     *
     * @param shapes   the tensor names and shapes, in file order
     * @param metadata the metadata
     * @return the UTF-8 header bytes
     */
    static byte[] encode(Map<String, Shape> shapes, Map<String, String> metadata) {
        StringJoiner top = new StringJoiner(",", "{", "}");
        if (!metadata.isEmpty()) {
            StringJoiner meta = new StringJoiner(",", "{", "}");
            metadata.forEach((k, v) -> meta.add(Json.quote(k) + ":" + Json.quote(v)));
            top.add(Json.quote(METADATA_KEY) + ":" + meta);
        }
        long offset = 0;
        for (Map.Entry<String, Shape> e : shapes.entrySet()) {
            long end = offset + 4L * e.getValue().numel();
            StringJoiner dims = new StringJoiner(",", "[", "]");
            Arrays.stream(e.getValue().toArray()).forEach(d -> dims.add(Integer.toString(d)));
            top.add(Json.quote(e.getKey()) + ":{\"dtype\":\"F32\",\"shape\":" + dims
                    + ",\"data_offsets\":[" + offset + "," + end + "]}");
            offset = end;
        }
        StringBuilder text = new StringBuilder(top.toString());
        int length = text.toString().getBytes(StandardCharsets.UTF_8).length;
        text.append(" ".repeat((8 - length % 8) % 8));
        return text.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static Map<?, ?> parseObject(Path file, String json) throws FileFormatException {
        try {
            return (Map<?, ?>) Json.parse(json);
        } catch (Json.JsonException e) {
            throw new FileFormatException(file, "header is not valid JSON: " + e.getMessage(), e);
        }
    }

    private static Map<String, String> metadata(Path file, Object value) throws FileFormatException {
        if (!(value instanceof Map<?, ?> map)) {
            throw new FileFormatException(file, METADATA_KEY + " must be an object, found " + kind(value));
        }
        Map<String, String> result = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : map.entrySet()) {
            if (!(e.getValue() instanceof String s)) {
                throw new FileFormatException(file, METADATA_KEY + " key '" + e.getKey()
                        + "' must have a string value, found " + kind(e.getValue()));
            }
            result.put((String) e.getKey(), s);
        }
        return result;
    }

    private static Entry entry(Path file, String name, Object value) throws FileFormatException {
        String where = "tensor '" + name + "'";
        if (!(value instanceof Map<?, ?> info)) {
            throw fail(file, where, "expected an object with dtype, shape and data_offsets, found " + kind(value));
        }
        Set<Object> unknown = new TreeSet<>(info.keySet().stream().map(Object::toString).toList());
        unknown.removeAll(FIELDS);
        if (!unknown.isEmpty()) {
            throw fail(file, where, "unknown field(s) " + unknown);
        }
        Dtype dtype = dtype(file, where, info.get("dtype"));
        int[] shape = shape(file, where, longs(file, where, info, "shape", -1));
        long[] offsets = longs(file, where, info, "data_offsets", 2);
        Entry entry = new Entry(name, dtype, shape, offsets[0], offsets[1]);
        if (offsets[0] > offsets[1]) {
            throw fail(file, where, "data_offsets " + Arrays.toString(offsets) + " end before they begin");
        }
        long needed = (long) entry.numel() * dtype.bytes();
        if (needed != offsets[1] - offsets[0]) {
            throw fail(file, where, "dtype " + dtype + " and shape " + Arrays.toString(shape) + " need "
                    + needed + " bytes, but data_offsets " + Arrays.toString(offsets) + " span "
                    + (offsets[1] - offsets[0]));
        }
        return entry;
    }

    private static Dtype dtype(Path file, String where, Object value) throws FileFormatException {
        if (!(value instanceof String name)) {
            throw fail(file, where, "dtype must be a string, found " + kind(value));
        }
        Dtype dtype = Dtype.byName(name);
        if (dtype == null) {
            throw fail(file, where, "unsupported dtype '" + name + "' (readable: "
                    + Arrays.toString(Dtype.values()) + ")");
        }
        return dtype;
    }

    private static long[] longs(Path file, String where, Map<?, ?> info, String field, int length)
            throws FileFormatException {
        Object value = info.get(field);
        String expected = field + " must be an array of " + (length < 0 ? "" : length + " ")
                + "non-negative integers";
        if (!(value instanceof List<?> list) || (length >= 0 && list.size() != length)) {
            throw fail(file, where, expected + ", found " + kind(value));
        }
        long[] result = new long[list.size()];
        for (int i = 0; i < result.length; i++) {
            if (!(list.get(i) instanceof Long v) || v < 0) {
                throw fail(file, where, expected + ", found " + list);
            }
            result[i] = v;
        }
        return result;
    }

    private static int[] shape(Path file, String where, long[] dims) throws FileFormatException {
        long numel = 1;
        int[] shape = new int[dims.length];
        for (int i = 0; i < dims.length; i++) {
            numel *= dims[i];
            if (dims[i] > Integer.MAX_VALUE || numel > Integer.MAX_VALUE) {
                throw fail(file, where, "shape " + Arrays.toString(dims) + " has more than 2^31-1 elements");
            }
            shape[i] = (int) dims[i];
        }
        return shape;
    }

    /** Requires the tensors' byte ranges to tile the data buffer exactly: no overlap, hole or tail. */
    private static void checkLayout(Path file, List<Entry> entries, long bufferSize) throws FileFormatException {
        List<Entry> sorted = new ArrayList<>(entries);
        sorted.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
        long position = 0;
        Entry previous = null;
        for (Entry e : sorted) {
            String range = "data_offsets [" + e.begin() + ", " + e.end() + "]";
            if (e.end() > bufferSize) {
                throw fail(file, e.where(), range + " extend past the end of the " + bufferSize
                        + "-byte data buffer (is the file truncated?)");
            }
            if (e.begin() < position) {
                throw fail(file, e.where(), range + " overlap " + previous.where() + " at ["
                        + previous.begin() + ", " + previous.end() + "]");
            }
            if (e.begin() > position) {
                String after = previous == null ? "the start of the data buffer" : previous.where();
                throw fail(file, e.where(), range + " leave a hole of " + (e.begin() - position)
                        + " unused bytes after " + after);
            }
            position = e.end();
            previous = e;
        }
        if (position != bufferSize) {
            throw new FileFormatException(file, (bufferSize - position) + " bytes at the end of the "
                    + bufferSize + "-byte data buffer belong to no tensor"
                    + (previous == null ? "" : " (the last is " + previous.where() + ")"));
        }
    }

    private static FileFormatException fail(Path file, String where, String problem) {
        return new FileFormatException(file, where + ": " + problem);
    }

    private static String kind(Object value) {
        if (value == null) {
            return "null";
        } else if (value instanceof Map) {
            return "an object";
        } else if (value instanceof List<?> list) {
            return "an array of " + list.size();
        } else if (value instanceof String) {
            return "a string";
        } else if (value instanceof Boolean) {
            return "a boolean";
        }
        return "a number";
    }
}
