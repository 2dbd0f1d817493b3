package org.minidiffusion.demos;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * What one command of the command line takes, for its parser and its {@code --help}: its name,
 * what it does, its options (each a value option or a switch), and whether it takes positional
 * arguments.
 *
 * <p>The declaration holds no parsing or validation: {@link Cli} turns it into a picocli command,
 * and each command reads its values through {@link Options}, which checks ranges and names the
 * option in its errors. Defaults are written into the descriptions rather than given to the
 * parser, so that a command can tell an option left out from one given its default value.
 *
 * @param name        the command's name, such as {@code generate}
 * @param summary     one line for the list of commands
 * @param description the paragraphs of the command's {@code --help}, the summary first
 * @param options     the options, in the order {@code --help} shows them
 * @param arguments   the positional arguments, or null if the command takes none
 */
record CliCommand(String name, String summary, List<String> description, List<Option> options, Arguments arguments) {
    /** The option that runs a command on another backend; most commands take it. */
    static final Option BACKEND = new Option("backend", "ID", "run on backend ID (scalar, parallel, ...) instead of the"
            + " default, without changing it; see 'backends'");

    /** Checks and copies the parts. */
    CliCommand {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(summary, "summary");
        description = List.copyOf(description);
        options = List.copyOf(options);
    }

    /**
     * One option.
     *
     * @param name        the long name without dashes, such as {@code steps}
     * @param label       the value's label in the help, such as {@code N}; null for a switch, which takes no value
     * @param description what it does, with its default
     */
    record Option(String name, String label, String description) {
        /**
         * Returns whether this is a switch.
         *
         * @return true if the option takes no value
         */
        boolean isSwitch() {
            return label == null;
        }
    }

    /**
     * The positional arguments of a command, any number of them (the command checks how many).
     *
     * @param label       their label, such as {@code PROMPT}
     * @param description what they are
     */
    record Arguments(String label, String description) {
    }

    /**
     * Starts the declaration of a command.
     *
     * @param name    the command's name
     * @param summary one line saying what it does
     * @return a builder
     */
    static Builder named(String name, String summary) {
        return new Builder(name, summary);
    }

    /** Builds a {@link CliCommand}, options in the order added. */
    static final class Builder {
        private final String name;
        private final String summary;
        private final List<String> description = new ArrayList<>();
        private final List<Option> options = new ArrayList<>();
        private Arguments arguments;

        private Builder(String name, String summary) {
            this.name = name;
            this.summary = summary;
            description.add(summary);
        }

        /**
         * Adds a paragraph to the help, after the summary.
         *
         * @param text the paragraph
         * @return this builder
         */
        Builder details(String text) {
            description.add(text);
            return this;
        }

        /**
         * Adds an option that takes a value.
         *
         * @param name        the long name without dashes
         * @param label       the value's label
         * @param description what it does, with its default
         * @return this builder
         */
        Builder option(String name, String label, String description) {
            options.add(new Option(name, Objects.requireNonNull(label, "label"), description));
            return this;
        }

        /**
         * Adds a switch.
         *
         * @param name        the long name without dashes
         * @param description what it does
         * @return this builder
         */
        Builder flag(String name, String description) {
            options.add(new Option(name, null, description));
            return this;
        }

        /**
         * Adds {@code --backend ID}.
         *
         * @return this builder
         */
        Builder backend() {
            options.add(BACKEND);
            return this;
        }

        /**
         * Lets the command take positional arguments.
         *
         * @param label       their label
         * @param description what they are
         * @return this builder
         */
        Builder arguments(String label, String description) {
            arguments = new Arguments(label, description);
            return this;
        }

        /**
         * Returns the declaration.
         *
         * @return the command
         */
        CliCommand build() {
            return new CliCommand(name, summary, description, options, arguments);
        }
    }
}
