package org.minidiffusion.diffusion.train;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.minidiffusion.core.api.Tensor;

/**
 * The state of a training run, in no particular file format: named tensors (the model's weights
 * under {@code model.}, the EMA weights under {@code ema.}, AdamW's state under {@code optim.})
 * and string metadata (both configs and {@code completed_steps}).
 *
 * <p>{@link Trainer#checkpoint} builds one, after checking every value is finite, and
 * {@link Trainer#resume} checks every field of one before using it. Writing it to a file and
 * reading it back (for example as safetensors, whose tensors and metadata it mirrors) is up to the
 * caller, so this module needs no file-format library.
 *
 * @param source   what the checkpoint was read from or will be written to (usually a file name),
 *                 named in every error about it
 * @param tensors  the tensors by name, in a stable order
 * @param metadata the metadata
 */
public record Checkpoint(String source, Map<String, Tensor> tensors, Map<String, String> metadata) {
    /**
     * Creates the record, copying both maps into unmodifiable insertion-ordered ones.
     *
     * @param source   what the checkpoint was read from or will be written to
     * @param tensors  the tensors by name
     * @param metadata the metadata
     */
    public Checkpoint {
        Objects.requireNonNull(source, "source");
        tensors = Collections.unmodifiableMap(new LinkedHashMap<>(tensors));
        metadata = Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
    }
}
