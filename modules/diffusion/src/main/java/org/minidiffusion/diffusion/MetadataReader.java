package org.minidiffusion.diffusion;

import java.util.Arrays;
import java.util.Locale;
import java.util.Map;

/**
 * Reads typed values from string metadata (a safetensors header's {@code __metadata__}),
 * checking each against its allowed range where it is read.
 *
 * <p>Every failure is an {@link InvalidFieldException} naming the source, the key, the value and
 * the range:
 * <pre>{@code
 * MetadataReader r = new MetadataReader(file.metadata(), path.toString());
 * int timesteps = r.intIn("train_timesteps", 2, TrainConfig.MAX_TRAIN_TIMESTEPS);
 * PredictionType prediction = r.enumValue("prediction_type", PredictionType.class);
 * }</pre>
 */
public final class MetadataReader {
    private final Map<String, String> metadata;
    private final String source;

    /**
     * Creates a reader.
     *
     * @param metadata the key-value pairs
     * @param source   where they come from, for messages (usually the file)
     */
    public MetadataReader(Map<String, String> metadata, String source) {
        this.metadata = Map.copyOf(metadata);
        this.source = source;
    }

    /**
     * Returns where the metadata comes from.
     *
     * @return the source given to the constructor
     */
    public String source() {
        return source;
    }

    /**
     * Returns whether a key is present.
     *
     * @param key the key
     * @return whether the metadata holds it
     */
    public boolean has(String key) {
        return metadata.containsKey(key);
    }

    /**
     * Returns a value, trimmed.
     *
     * @param key the key
     * @return the value
     * @throws InvalidFieldException if the key is missing
     */
    public String string(String key) {
        String v = metadata.get(key);
        if (v == null) {
            throw new InvalidFieldException(source, key, null, "the metadata lacks this key");
        }
        return v.trim();
    }

    /**
     * Returns an integer in {@code [min, max]}.
     *
     * @param key the key
     * @param min the smallest allowed value
     * @param max the largest allowed value
     * @return the value
     * @throws InvalidFieldException if it is missing, not an integer or out of range
     */
    public int intIn(String key, int min, int max) {
        return (int) longIn(key, min, max);
    }

    /**
     * Returns a long in {@code [min, max]}.
     *
     * @param key the key
     * @param min the smallest allowed value
     * @param max the largest allowed value
     * @return the value
     * @throws InvalidFieldException if it is missing, not an integer or out of range
     */
    public long longIn(String key, long min, long max) {
        String v = string(key);
        long value;
        try {
            value = Long.parseLong(v);
        } catch (NumberFormatException e) {
            throw invalid(key, v, "must be an integer in " + range(min, max));
        }
        if (value < min || value > max) {
            throw invalid(key, v, "must be an integer in " + range(min, max));
        }
        return value;
    }

    /**
     * Returns a finite float in {@code [min, max]} (or {@code [min, max)} if {@code maxExclusive}).
     *
     * @param key          the key
     * @param min          the smallest allowed value
     * @param max          the bound above
     * @param maxExclusive whether {@code max} itself is not allowed
     * @return the value
     * @throws InvalidFieldException if it is missing, not a number, NaN, infinite or out of range
     */
    public float floatIn(String key, float min, float max, boolean maxExclusive) {
        String v = string(key);
        String allowed = "must be a finite number in [" + min + ", " + max + (maxExclusive ? ")" : "]");
        float value;
        try {
            value = Float.parseFloat(v);
        } catch (NumberFormatException e) {
            throw invalid(key, v, allowed);
        }
        if (!Float.isFinite(value) || value < min || value > max || (maxExclusive && value == max)) {
            throw invalid(key, v, allowed);
        }
        return value;
    }

    /**
     * Returns a comma-separated list of integers, each in {@code [min, max]}.
     *
     * @param key       the key
     * @param minLength the fewest entries allowed
     * @param maxLength the most entries allowed
     * @param min       the smallest allowed entry
     * @param max       the largest allowed entry
     * @return the values
     * @throws InvalidFieldException if it is missing, malformed, too long or short, or an entry is
     *                               out of range
     */
    public int[] intsIn(String key, int minLength, int maxLength, int min, int max) {
        String v = string(key);
        String allowed = "must be " + minLength + " to " + maxLength + " comma-separated integers in " + range(min, max);
        String[] parts = v.isEmpty() ? new String[0] : v.split(",", -1);
        if (parts.length < minLength || parts.length > maxLength) {
            throw invalid(key, v, allowed);
        }
        int[] out = new int[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                long x = Long.parseLong(parts[i].trim());
                if (x < min || x > max) {
                    throw invalid(key, v, allowed);
                }
                out[i] = (int) x;
            } catch (NumberFormatException e) {
                throw invalid(key, v, allowed);
            }
        }
        return out;
    }

    /**
     * Returns an enum constant written in any case, such as {@code "epsilon"} for
     * {@code EPSILON}.
     *
     * @param key  the key
     * @param type the enum
     * @param <E>  the enum type
     * @return the constant
     * @throws InvalidFieldException if it is missing or names no constant
     */
    public <E extends Enum<E>> E enumValue(String key, Class<E> type) {
        String v = string(key);
        for (E e : type.getEnumConstants()) {
            if (e.name().equalsIgnoreCase(v)) {
                return e;
            }
        }
        throw invalid(key, v, "must be one of " + Arrays.stream(type.getEnumConstants())
                .map(e -> e.name().toLowerCase(Locale.ROOT)).toList());
    }

    /**
     * Returns an error about a key's value.
     *
     * @param key     the key
     * @param value   the value as read
     * @param problem what is wrong or allowed
     * @return the exception, for the caller to throw
     */
    public InvalidFieldException invalid(String key, String value, String problem) {
        return new InvalidFieldException(source, key, value, problem);
    }

    private static String range(long min, long max) {
        return "[" + min + ", " + max + "]";
    }
}
