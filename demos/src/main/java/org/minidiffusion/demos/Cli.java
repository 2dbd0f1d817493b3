package org.minidiffusion.demos;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;
import picocli.CommandLine.ParseResult;

/**
 * The demos' command line on picocli: per-command {@code --help} and {@code -h}, {@code help
 * <command>}, {@code --version}, a suggestion for a mistyped command or option, and a completion
 * script for bash and zsh.
 *
 * <p>Parse errors become a {@link UsageException} with a one-line message naming the command, the
 * argument and, when one is close, what was meant; the caller prints it and exits with code 2.
 * Values are handed to the command as strings in {@link Options}, which validates them.
 */
final class Cli {
    /** The program's name, as the launchers and the runtime image call it. */
    static final String NAME = "minidiffusion";
    /** The option that adds stack traces to error messages, accepted anywhere on the command line. */
    static final String VERBOSE = "--verbose";
    /** Usage lines wrap at this width. */
    static final int WIDTH = 100;

    private static final String VERSION_RESOURCE = "version.properties";
    /** The command that shows another command's help. */
    private static final String HELP = "help";
    /** picocli's message for {@code --switch=value}, which has no exception of its own. */
    private static final Pattern SWITCH_WITH_VALUE = Pattern.compile("option '(--[^']+)' should be specified without ");

    private final CommandLine root;

    /**
     * A command line that names a command to run.
     *
     * @param command   the command's name
     * @param options   its options
     * @param arguments its positional arguments, in order (empty if it takes none)
     */
    record Invocation(String command, Options options, List<String> arguments) {
    }

    /**
     * Builds the command line.
     *
     * @param summary  the paragraphs of the top-level help
     * @param commands the commands, in the order the help lists them
     * @param footer   the paragraphs after the list of commands
     */
    Cli(List<String> summary, List<CliCommand> commands, List<String> footer) {
        CommandSpec spec = CommandSpec.create().name(NAME).version(version());
        addHelpOptions(spec);
        spec.addOption(OptionSpec.builder(VERBOSE).arity("0").type(boolean.class)
                .description("print the stack trace of an error (anywhere on the command line)")
                .scopeType(CommandLine.ScopeType.INHERIT).build());
        spec.usageMessage().description(escape(summary)).footerHeading("%n").footer(escape(footer));
        root = new CommandLine(spec);
        root.addSubcommand(HELP, command(CliCommand.named(HELP, "Show the help of COMMAND, as COMMAND --help does,"
                + " or this help.").arguments("COMMAND", "the command").build()));
        for (CliCommand c : commands) {
            root.addSubcommand(c.name(), command(c));
        }
        root.setUsageHelpWidth(WIDTH);
        root.setUsageHelpLongOptionsMaxWidth(26);
        root.setAbbreviatedSubcommandsAllowed(false);
    }

    /** The picocli command of one declaration: string-valued options, switches and positional arguments. */
    private static CommandSpec command(CliCommand c) {
        CommandSpec spec = CommandSpec.create().name(c.name()).version(version());
        addHelpOptions(spec);
        spec.usageMessage().description(escape(c.description())).abbreviateSynopsis(true).sortOptions(false)
                .headerHeading("").descriptionHeading("%n").optionListHeading("%nOptions:%n")
                .parameterListHeading("%nArguments:%n");
        for (CliCommand.Option o : c.options()) {
            OptionSpec.Builder b = OptionSpec.builder("--" + o.name()).description(escape(o.description()));
            if (o.isSwitch()) {
                b.arity("0").type(boolean.class);
            } else {
                b.arity("1").type(String.class).paramLabel(o.label());
            }
            spec.addOption(b.build());
        }
        if (c.arguments() != null) {
            spec.addPositional(PositionalParamSpec.builder().paramLabel(c.arguments().label()).arity("0..*")
                    .type(List.class).auxiliaryTypes(String.class)
                    .description(escape(c.arguments().description())).build());
        }
        return spec;
    }

    /** Adds {@code -h, --help} and {@code -V, --version}, which stop parsing and print instead of running. */
    private static void addHelpOptions(CommandSpec spec) {
        spec.addOption(OptionSpec.builder("-h", "--help").usageHelp(true).arity("0").type(boolean.class)
                .description("show this help and exit").build());
        spec.addOption(OptionSpec.builder("-V", "--version").versionHelp(true).arity("0").type(boolean.class)
                .description("print the version and exit").build());
    }

    /**
     * Parses a command line; prints the help or the version if it asks for them.
     *
     * @param args the command line
     * @param out  where help and the version go
     * @return the command to run, or null if the help or the version was printed (or no command was given,
     *         which prints the help)
     * @throws UsageException for an unknown command or option, a missing or repeated value, or a stray argument
     */
    Invocation parse(String[] args, PrintStream out) {
        PrintWriter writer = new PrintWriter(out, true);
        root.setOut(writer);
        root.setErr(writer);
        ParseResult result;
        try {
            result = root.parseArgs(helpAsOption(args));
        } catch (CommandLine.ParameterException e) {
            throw usageError(e);
        }
        if (CommandLine.printHelpIfRequested(result)) {
            writer.flush();
            return null;
        }
        ParseResult sub = result.subcommand();
        if (sub == null) {
            root.usage(writer);
            writer.flush();
            return null;
        }
        return invocation(sub);
    }

    /**
     * Rewrites {@code help} as {@code --help} and {@code help COMMAND} as {@code COMMAND --help}; an
     * unknown COMMAND is left alone, to get the same error and suggestion as anywhere else.
     */
    private String[] helpAsOption(String[] args) {
        if (args.length == 0 || !args[0].equals(HELP)) {
            return args;
        }
        if (args.length == 1) {
            return new String[] {"--help"};
        }
        return root.getSubcommands().containsKey(args[1]) ? new String[] {args[1], "--help"} : new String[] {args[1]};
    }

    /** The command, options and arguments of a parsed subcommand. */
    private static Invocation invocation(ParseResult sub) {
        Map<String, String> values = new LinkedHashMap<>();
        Set<String> switches = new TreeSet<>();
        for (OptionSpec o : sub.matchedOptions()) {
            String name = o.longestName().substring(2);
            if (o.usageHelp() || o.versionHelp() || o.longestName().equals(VERBOSE)) {
                continue;
            }
            if (o.arity().max() == 0) {
                switches.add(name);
            } else {
                values.put(name, o.getValue());
            }
        }
        List<String> arguments = sub.hasMatchedPositional(0) ? sub.matchedPositional(0).getValue() : List.of();
        String command = sub.commandSpec().name();
        return new Invocation(command, new Options(command, values, switches), List.copyOf(arguments));
    }

    /** A picocli parse error as a one-line usage error naming the command. */
    private static UsageException usageError(CommandLine.ParameterException e) {
        CommandSpec spec = e.getCommandLine().getCommandSpec();
        String command = spec.parent() == null ? null : spec.name();
        String where = command == null ? "" : " for '" + command + "'";
        if (e instanceof CommandLine.UnmatchedArgumentException u) {
            String arg = u.getUnmatched().isEmpty() ? "" : u.getUnmatched().get(0);
            String meant = suggestion(u.getSuggestions());
            if (command == null && !arg.startsWith("-")) {
                return new UsageException("unknown command '" + arg + "'" + meant, null);
            }
            if (u.isUnknownOption() || arg.startsWith("-")) {
                return new UsageException("unknown option '" + arg + "'" + where + meant, command);
            }
            return new UsageException("unexpected argument '" + arg + "'" + where + ", which takes no arguments", command);
        }
        if (e instanceof CommandLine.MissingParameterException m && !m.getMissing().isEmpty()) {
            return new UsageException(name(m.getMissing().get(0)) + " needs a value", command);
        }
        if (e instanceof CommandLine.OverwrittenOptionException o) {
            return new UsageException(name(o.getOverwritten()) + " is given twice", command);
        }
        String message = e.getMessage();
        Matcher valued = SWITCH_WITH_VALUE.matcher(message);
        if (e instanceof CommandLine.MaxValuesExceededException && valued.lookingAt()) {
            return new UsageException("option '" + valued.group(1) + "' takes no value", command);
        }
        return new UsageException(message.substring(0, 1).toLowerCase(Locale.ROOT) + message.substring(1), command);
    }

    /** {@code option '--steps'}, or a positional argument's label. */
    private static String name(ArgSpec arg) {
        return arg instanceof OptionSpec o ? "option '" + o.longestName() + "'" : "argument " + arg.paramLabel();
    }

    /** {@code ; did you mean 'x'?} for the closest of picocli's suggestions, which come best first; empty for none. */
    private static String suggestion(List<String> suggestions) {
        return suggestions.isEmpty() ? "" : "; did you mean '" + suggestions.get(0) + "'?";
    }

    /**
     * Prints the help of a command, or the top-level help: what {@code help} does when it is not the
     * first argument (after {@code --verbose}, say), where it is rewritten before parsing.
     *
     * @param commands the arguments of {@code help}: none, or the command
     * @param out      where the help goes
     * @throws UsageException if the command is unknown
     */
    void printHelp(List<String> commands, PrintStream out) {
        CommandLine target = commands.isEmpty() ? root : root.getSubcommands().get(commands.get(0));
        if (target == null) {
            throw new UsageException("unknown command '" + commands.get(0) + "'", UsageException.TOP_LEVEL);
        }
        PrintWriter writer = new PrintWriter(out, true);
        target.usage(writer);
        writer.flush();
    }

    /**
     * Returns the bash (and zsh, with {@code bashcompinit}) completion script of every command and option.
     *
     * @return the script
     */
    String completionScript() {
        return AutoComplete.bash(NAME, root);
    }

    /**
     * Returns where to read more about a usage error: the command's {@code --help}, or the top-level one.
     *
     * @param command the command, or null or {@link UsageException#TOP_LEVEL} for the top-level help
     * @return for example {@code see 'minidiffusion generate --help'}
     */
    static String helpHint(String command) {
        return "see '" + NAME + (command == null || command.isEmpty() ? "" : " " + command) + " --help'";
    }

    /**
     * Returns the version lines: the build's version (from the Maven project), then the Java runtime.
     *
     * @return {@code minidiffusion <version>} and {@code Java <version> (<vm>), <os> <arch>}
     */
    static String[] version() {
        return new String[] {NAME + " " + buildVersion(),
                "Java " + System.getProperty("java.version") + " (" + System.getProperty("java.vm.name") + ", "
                        + System.getProperty("java.vendor") + "), " + System.getProperty("os.name") + " "
                        + System.getProperty("os.arch")};
    }

    /**
     * Returns the project's version, which the build writes into a resource.
     *
     * @return the version, such as {@code 0.1.0-SNAPSHOT}
     * @throws IllegalStateException if the resource is missing, which means the demos were not built by Maven
     */
    static String buildVersion() {
        try (InputStream in = Cli.class.getResourceAsStream(VERSION_RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("no " + VERSION_RESOURCE + " next to " + Cli.class.getName()
                        + ": the demos were not built by Maven");
            }
            Properties p = new Properties();
            p.load(new java.io.InputStreamReader(in, StandardCharsets.UTF_8));
            return p.getProperty("version");
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + VERSION_RESOURCE + ": " + e.getMessage(), e);
        }
    }

    /** Escapes {@code %} in help text, which picocli formats with {@link String#format}. */
    private static String[] escape(List<String> lines) {
        return lines.stream().map(Cli::escape).toArray(String[]::new);
    }

    private static String escape(String line) {
        return line.replace("%", "%%");
    }
}
