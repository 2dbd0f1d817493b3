package org.minidiffusion.demos;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The {@code --name value} (or {@code --name=value}) options of one command line, and its
 * {@code --flag} switches, read with the checks each value needs: a range, a choice of words, a
 * path. Every error names the option and the command.
 */
final class Options {
    private final String command;
    private final Map<String, String> values;
    private final Set<String> flags;

    /**
     * Wraps the options of one command line, as {@link Cli} parsed them.
     *
     * @param command the command, for messages
     * @param values  the options that take a value, by name without dashes
     * @param flags   the switches given, by name without dashes
     */
    Options(String command, Map<String, String> values, Set<String> flags) {
        this.command = command;
        this.values = new LinkedHashMap<>(values);
        this.flags = new TreeSet<>(flags);
    }

    /**
     * Returns an integer option in {@code [min, max]}.
     *
     * @param name         the option name
     * @param defaultValue the value if absent
     * @param min          the smallest value allowed
     * @param max          the largest value allowed
     * @return the value
     * @throws UsageException if the value is not such an integer
     */
    int intValue(String name, int defaultValue, int min, int max) {
        String v = values.get(name);
        if (v == null) {
            return defaultValue;
        }
        try {
            int n = Integer.parseInt(v.trim());
            if (n >= min && n <= max) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new UsageException("--" + name + " of '" + command + "' needs an integer in [" + min + ", " + max
                + "], got '" + v + "'");
    }

    /**
     * Returns a long option.
     *
     * @param name         the option name
     * @param defaultValue the value if absent
     * @return the value
     * @throws UsageException if the value is not an integer
     */
    long longValue(String name, long defaultValue) {
        String v = values.get(name);
        if (v == null) {
            return defaultValue;
        }
        try {
            return Long.parseLong(v.trim());
        } catch (NumberFormatException e) {
            throw new UsageException("--" + name + " of '" + command + "' needs an integer, got '" + v + "'");
        }
    }

    /**
     * Returns a finite float option in {@code (0, max]}.
     *
     * @param name         the option name
     * @param defaultValue the value if absent
     * @param max          the largest value allowed
     * @return the value
     * @throws UsageException if the value is not such a number
     */
    float positiveFloat(String name, float defaultValue, float max) {
        String v = values.get(name);
        if (v == null) {
            return defaultValue;
        }
        try {
            float f = Float.parseFloat(v.trim());
            if (f > 0f && f <= max) {
                return f;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new UsageException("--" + name + " of '" + command + "' needs a number in (0, " + max + "], got '"
                + v + "'");
    }

    /**
     * Returns whether an option or switch was given.
     *
     * @param name the option name
     * @return whether it is on the command line
     */
    boolean has(String name) {
        return values.containsKey(name) || flags.contains(name);
    }

    /**
     * Returns whether a switch was given.
     *
     * @param name the switch name
     * @return whether it is on the command line
     */
    boolean flag(String name) {
        return flags.contains(name);
    }

    /**
     * Returns a non-empty string option.
     *
     * @param name         the option name
     * @param defaultValue the value if absent
     * @return the value
     * @throws UsageException if the value is empty
     */
    String string(String name, String defaultValue) {
        String v = values.get(name);
        if (v == null) {
            return defaultValue;
        }
        if (v.isBlank()) {
            throw new UsageException("--" + name + " of '" + command + "' needs a non-empty value");
        }
        return v;
    }

    /**
     * Returns a path option.
     *
     * @param name         the option name
     * @param defaultValue the value if absent
     * @return the path
     * @throws UsageException if the value is empty or not a valid path
     */
    Path path(String name, Path defaultValue) {
        String v = string(name, null);
        if (v == null) {
            return defaultValue;
        }
        try {
            return Path.of(v);
        } catch (java.nio.file.InvalidPathException e) {
            throw new UsageException("--" + name + " of '" + command + "' is not a valid path: '" + v + "'");
        }
    }

    /**
     * Returns an option that must be one of a few words, compared without regard to case.
     *
     * @param name         the option name
     * @param defaultValue the value if absent
     * @param choices      the allowed values, in lower case
     * @return the value, in lower case
     * @throws UsageException if the value is none of them
     */
    String choice(String name, String defaultValue, Set<String> choices) {
        String v = values.get(name);
        if (v == null) {
            return defaultValue;
        }
        String lower = v.trim().toLowerCase(Locale.ROOT);
        if (!choices.contains(lower)) {
            throw new UsageException("--" + name + " of '" + command + "' must be one of "
                    + String.join(", ", new TreeSet<>(choices)) + ", got '" + v + "'");
        }
        return lower;
    }

    /**
     * Returns a finite float option in {@code [min, max]}.
     *
     * @param name         the option name
     * @param defaultValue the value if absent
     * @param min          the smallest value allowed
     * @param max          the largest value allowed
     * @return the value
     * @throws UsageException if the value is not such a number
     */
    float floatValue(String name, float defaultValue, float min, float max) {
        String v = values.get(name);
        if (v == null) {
            return defaultValue;
        }
        try {
            float f = Float.parseFloat(v.trim());
            if (f >= min && f <= max) {
                return f;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new UsageException("--" + name + " of '" + command + "' needs a number in [" + min + ", " + max
                + "], got '" + v + "'");
    }
}
