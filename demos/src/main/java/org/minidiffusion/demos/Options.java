package org.minidiffusion.demos;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/** The {@code --name value} (or {@code --name=value}) options of one subcommand. */
final class Options {
    private final String command;
    private final Map<String, String> values = new LinkedHashMap<>();

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
            if (!allowed.contains(name)) {
                throw new UsageException("unknown option '--" + name + "' for '" + command + "'"
                        + (allowed.isEmpty() ? ", which takes none" : "; it takes --" + String.join(", --", allowed)));
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
}
