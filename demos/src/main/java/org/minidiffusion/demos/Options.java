package org.minidiffusion.demos;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The {@code --name value} (or {@code --name=value}) options of one subcommand, and its
 * {@code --flag} switches, which take no value.
 */
final class Options {
    private final String command;
    private final Map<String, String> values = new LinkedHashMap<>();
    private final Set<String> flags = new TreeSet<>();

    private Options(String command) {
        this.command = command;
    }

    /**
     * Parses the arguments after the subcommand.
     *
     * @param command the subcommand, for messages
     * @param args    the arguments
     * @param from    the index of the first option in {@code args}
     * @param allowed the option names this subcommand accepts, without dashes
     * @return the options
     * @throws UsageException on an unknown, repeated or valueless option, or a stray argument
     */
    static Options parse(String command, String[] args, int from, Set<String> allowed) {
        return parse(command, args, from, allowed, Set.of());
    }

    /**
     * Parses the arguments after the subcommand, some of which may be valueless switches.
     *
     * @param command      the subcommand, for messages
     * @param args         the arguments
     * @param from         the index of the first option in {@code args}
     * @param allowed      the names of the options that take a value, without dashes
     * @param allowedFlags the names of the switches, which take none
     * @return the options
     * @throws UsageException on an unknown, repeated or valueless option, a switch given a value,
     *                        or a stray argument
     */
    static Options parse(String command, String[] args, int from, Set<String> allowed, Set<String> allowedFlags) {
        Options options = new Options(command);
        for (int i = from; i < args.length; i++) {
            String arg = args[i];
            if (!arg.startsWith("--") || arg.length() == 2) {
                throw new UsageException("unexpected argument '" + arg + "' for '" + command + "'");
            }
            String name = arg.substring(2);
            String value = null;
            int eq = name.indexOf('=');
            if (eq >= 0) {
                value = name.substring(eq + 1);
                name = name.substring(0, eq);
            }
            if (allowedFlags.contains(name)) {
                if (value != null) {
                    throw new UsageException("option '--" + name + "' takes no value");
                }
                if (!options.flags.add(name)) {
                    throw new UsageException("option '--" + name + "' is given twice");
                }
                continue;
            }
            if (!allowed.contains(name)) {
                Set<String> all = new TreeSet<>(allowed);
                all.addAll(allowedFlags);
                throw new UsageException("unknown option '--" + name + "' for '" + command + "'"
                        + (all.isEmpty() ? ", which takes none" : "; it takes --" + String.join(", --",
                        allowedFlags.isEmpty() ? allowed : all)));
            }
            if (value == null) {
                if (i + 1 >= args.length) {
                    throw new UsageException("option '--" + name + "' needs a value");
                }
                value = args[++i];
            }
            if (options.values.put(name, value) != null) {
                throw new UsageException("option '--" + name + "' is given twice");
            }
        }
        return options;
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
