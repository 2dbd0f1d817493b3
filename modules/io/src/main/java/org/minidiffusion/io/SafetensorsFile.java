package org.minidiffusion.io;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.minidiffusion.core.api.Shape;
import org.minidiffusion.core.api.ShapeException;
import org.minidiffusion.core.api.Tensor;

/**
 * The content of a safetensors file: its tensors in header order and its metadata.
 *
 * @param file     the file it was read from, used in error messages
 * @param tensors  the tensors by name, insertion-ordered and unmodifiable
 * @param metadata the {@code "__metadata__"} strings, insertion-ordered and unmodifiable
 */
public record SafetensorsFile(Path file, Map<String, Tensor> tensors, Map<String, String> metadata) {
    /**
     * Creates the record, copying both maps into unmodifiable insertion-ordered ones.
     *
     * @param file     the source file
     * @param tensors  the tensors by name
     * @param metadata the metadata
     */
    public SafetensorsFile {
        Objects.requireNonNull(file, "file");
        tensors = Collections.unmodifiableMap(new LinkedHashMap<>(tensors));
        metadata = Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
    }

    /**
     * Returns one tensor.
     *
     * @param name the tensor name
     * @return the tensor
     * @throws IllegalArgumentException naming the file and key if there is no such tensor
     */
    public Tensor tensor(String name) {
        Tensor t = tensors.get(name);
        if (t == null) {
            throw new IllegalArgumentException(file + ": no tensor '" + name + "' among " + tensors.size()
                    + " tensors " + abbreviate(tensors.keySet().toString()));
        }
        return t;
    }

    /**
     * Checks that every expected tensor is present with the expected shape; extra tensors are allowed.
     *
     * @param expected the shapes by tensor name
     * @return this file, for chaining
     * @throws ShapeException naming the file and every missing or mismatched key
     */
    public SafetensorsFile requireShapes(Map<String, Shape> expected) {
        List<String> problems = new ArrayList<>();
        expected.forEach((name, shape) -> {
            Tensor t = tensors.get(name);
            if (t == null) {
                problems.add("tensor '" + name + "' is missing (expected shape " + shape + ")");
            } else if (!t.shape().equals(shape)) {
                problems.add("tensor '" + name + "' has shape " + t.shape() + ", expected " + shape);
            }
        });
        if (!problems.isEmpty()) {
            throw new ShapeException("requireShapes", file + ": " + String.join("; ", problems));
        }
        return this;
    }

    private static String abbreviate(String s) {
        return s.length() <= 200 ? s : s.substring(0, 200) + "...]";
    }
}
