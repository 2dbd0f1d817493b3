package org.minidiffusion.demos;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;
import org.minidiffusion.core.api.Backend;
import org.minidiffusion.core.api.BackendException;
import org.minidiffusion.core.api.Backends;
import org.minidiffusion.diffusion.train.TrainingDivergedException;

/**
 * The command-line entry point of the demos: {@code generate}, {@code txt2img}, the training
 * commands, the evaluations and benchmarks of {@link #COMMANDS}, each with {@code --help}.
 *
 * <p>Every failure, whether a bad command line, a missing or unknown backend, a missing, damaged or
 * invalid file, or a diverging training run, prints one line {@code error: <reason>} on standard
 * error and exits with code 1, or 2 for a bad command line (as POSIX utilities do). No stack trace
 * is printed unless the global option {@code --verbose} is given.
 */
public final class Demos {
    /** The command that prints the completion script. */
    static final String COMPLETION = "generate-completion";

    /** The commands, in the order the help lists them. */
    static final List<CliCommand> COMMANDS = List.of(
            GenerateCommand.COMMAND,
            TextToImageCommand.COMMAND,
            TrainCommand.COMMAND,
            CaptionsCommand.COMMAND,
            TrainTokenizerCommand.COMMAND,
            ClipTrainCommand.COMMAND,
            VaeTrainCommand.COMMAND,
            TextToImageTrainCommand.COMMAND,
            ClassifierCommand.COMMAND,
            EvaluateCommand.COMMAND,
            EvaluatePromptsCommand.COMMAND,
            TokenizeCommand.COMMAND,
            MlpDemo.COMMAND,
            CliCommand.named("backends", "Show the discovered compute backends, which one is used, and why.").build(),
            MatmulBench.COMMAND,
            WorkloadBench.COMMAND,
            CliCommand.named(COMPLETION, "Print a bash and zsh completion script for " + Cli.NAME + ".")
                    .details("Load it with: source <(" + Cli.NAME + " " + COMPLETION + ")").build());

    /** The top-level help, before the list of commands. */
    static final List<String> SUMMARY = List.of(
            "Diffusion models in pure Java: a class-conditional U-Net (DDPM, DDIM) and an SD3-style text-to-image"
                    + " model, trained on Fashion-MNIST and shipped in models/. Try: " + Cli.NAME + " generate,"
                    + " or " + Cli.NAME + " txt2img \"a pair of dark trousers\". 'help COMMAND' or 'COMMAND --help'"
                    + " describes a command.");

    /** The top-level help, after the list of commands. */
    static final List<String> FOOTER = List.of(
            "Backends: put backend-scalar.jar and/or backend-parallel.jar on the module path; the highest priority"
                    + " wins unless -D" + Backends.PROPERTY + "=ID or the environment variable " + Backends.ENV
                    + " names one. --backend ID runs one command on backend ID without changing the default.",
            "",
            "Models: without --model (--classifier), a command takes the shipped model from the first of these"
                    + " directories that holds it: $" + ShippedModels.ENV + ", -D" + ShippedModels.PROPERTY
                    + "=DIR (which the " + Cli.NAME + " launcher and the runtime image set to their own models/),"
                    + " ./models, the runtime image's models/.",
            "",
            "Exit codes: 0 done, 1 failed (one line on standard error; --verbose adds the stack trace),"
                    + " 2 a bad command line.");

    private Demos() {
    }

    /**
     * Runs the command named by the first argument and exits with a non-zero code on failure.
     *
     * @param args the command and its options
     */
    public static void main(String[] args) {
        int code = run(args, System.out, System.err);
        System.out.flush();
        if (code != 0) {
            System.exit(code);
        }
    }

    /**
     * Runs a command, reporting errors on {@code err}.
     *
     * @param args the command and its options
     * @param out  the standard output
     * @param err  the standard error
     * @return the exit code: 0 on success, 2 for a bad command line, 1 for any other failure (no
     *         usable backend, a missing or invalid file, ...), each reported in one line on {@code err}
     */
    static int run(String[] args, PrintStream out, PrintStream err) {
        boolean verbose = Arrays.asList(args).contains(Cli.VERBOSE);
        String command = null;
        try {
            Cli cli = new Cli(SUMMARY, COMMANDS, FOOTER);
            Cli.Invocation invocation = cli.parse(args, out);
            if (invocation == null) {
                return 0; // the help or the version was asked for
            }
            command = invocation.command();
            runCommand(cli, invocation, out, err);
            return 0;
        } catch (UsageException e) {
            fail(out, err, e.getMessage() + " (" + Cli.helpHint(e.command() != null ? e.command() : command) + ")",
                    e, verbose);
            return 2;
        } catch (BackendException | DemoException | TrainingDivergedException e) {
            return fail(out, err, e.getMessage(), e, verbose);
        } catch (IOException e) {
            return fail(out, err, describe(e), e, verbose);
        } catch (UncheckedIOException e) {
            return fail(out, err, describe(e.getCause()), e, verbose);
        } catch (RuntimeException e) {
            if (e.getMessage() != null && (e instanceof IllegalArgumentException
                    || e.getClass().getName().startsWith("org.minidiffusion."))) {
                return fail(out, err, e.getMessage(), e, verbose); // the library's validation: a value or file
            }
            return fail(out, err, (command == null ? Cli.NAME : command) + " failed: " + e
                    + (verbose ? "" : " (rerun with " + Cli.VERBOSE + " for the stack trace)"), e, verbose);
        } catch (OutOfMemoryError e) {
            return fail(out, err, outOfMemory(command == null ? Cli.NAME : command, Runtime.getRuntime().maxMemory()),
                    e, verbose);
        }
    }

    /**
     * Parses a command line as {@link #run} does, without running it.
     *
     * @param args the command line
     * @return the command to run
     * @throws UsageException if the command line is bad
     * @throws IllegalArgumentException if it asks for help or the version instead of a command
     */
    static Cli.Invocation parse(String... args) {
        Cli.Invocation invocation = new Cli(SUMMARY, COMMANDS, FOOTER).parse(args,
                new PrintStream(java.io.OutputStream.nullOutputStream()));
        if (invocation == null) {
            throw new IllegalArgumentException("not a command to run: " + String.join(" ", args));
        }
        return invocation;
    }

    /** Reports a failure in one line, with the stack trace only if asked for; returns the exit code 1. */
    private static int fail(PrintStream out, PrintStream err, String message, Throwable e, boolean verbose) {
        out.flush();
        err.println("error: " + message.strip().replaceAll("\\s*\\R\\s*", "; "));
        if (verbose) {
            e.printStackTrace(err);
        }
        return 1;
    }

    /** Runs one command; every failure propagates to {@link #run}. */
    private static void runCommand(Cli cli, Cli.Invocation in, PrintStream out, PrintStream err) throws IOException {
        Options o = in.options();
        switch (in.command()) {
            case "backends" -> backends(out);
            case COMPLETION -> out.print(cli.completionScript());
            case "help" -> cli.printHelp(in.arguments(), out);
            case "mlp" -> {
                int steps = o.intValue("steps", MlpDemo.DEFAULT_STEPS, 0, 1_000_000);
                MlpDemo.Config config = new MlpDemo.Config(steps, o.longValue("seed", MlpDemo.DEFAULT_SEED),
                        o.positiveFloat("lr", MlpDemo.DEFAULT_LR, 10f), Math.max(1, steps / 10));
                reportSelection(out);
                out.println();
                MlpDemo.train(config, out);
            }
            case "bench" -> {
                int size = o.intValue("size", MatmulBench.DEFAULT_SIZE, 1, 8192);
                int iters = o.intValue("iters", MatmulBench.DEFAULT_ITERS, 1, 1000);
                int warmup = o.intValue("warmup", MatmulBench.DEFAULT_WARMUP, 0, 1000);
                List<Backend> found = Backends.available();
                if (found.isEmpty()) {
                    Backends.selection(); // throws the "no backend found" explanation
                }
                out.println("backends found: " + ids(found));
                MatmulBench.run(found, size, warmup, iters, out);
            }
            case "bench-model" -> {
                WorkloadBench.Timing timing = WorkloadBench.Timing.valueOf(o.choice("timing", "best",
                        Set.of("best", "single")).toUpperCase(Locale.ROOT));
                double budget = o.has("budget") ? o.intValue("budget", 0, 1, 7 * 24 * 3600) : Double.POSITIVE_INFINITY;
                var settings = new WorkloadBench.Settings(timing, !o.flag("skip-ddim"), budget, o.flag("main-only"));
                boolean json = o.flag("json");
                try (Backends.Scope scope = useBackend(o, json ? err : out)) {
                    var result = WorkloadBench.run(settings, json ? err : out); // prints a line per row
                    if (json) {
                        out.println(WorkloadBench.json(result));
                    }
                }
            }
            case "train" -> onBackend(o, out, TrainCommand.parse(o), s -> TrainCommand.run(s, out));
            case "train-vae" -> onBackend(o, out, VaeTrainCommand.parse(o), s -> VaeTrainCommand.run(s, out));
            case "generate" -> onBackend(o, out, GenerateCommand.parse(o), s -> GenerateCommand.run(s, out));
            case "classifier-train" -> onBackend(o, out, ClassifierCommand.parse(o),
                    s -> ClassifierCommand.run(s, out));
            case "evaluate" -> {
                GenerateCommand.Settings settings = GenerateCommand.parse(o);
                Path classifier = o.has("classifier") ? o.path("classifier", null)
                        : ShippedModels.resolve(EvaluateCommand.SHIPPED_CLASSIFIER, "--classifier");
                onBackend(o, out, settings, s -> EvaluateCommand.run(s, o.has("out"), classifier, out));
            }
            case "tokenize" -> TokenizeCommand.run(in, out);
            case "captions" -> CaptionsCommand.run(o, out);
            case "train-tokenizer" -> TrainTokenizerCommand.run(o, out);
            case "train-clip" -> onBackend(o, out, ClipTrainCommand.parse(o), s -> ClipTrainCommand.run(s, out));
            case "train-t2i" -> onBackend(o, out, TextToImageTrainCommand.parse(o),
                    s -> TextToImageTrainCommand.run(s, out));
            case "txt2img" -> onBackend(o, out, TextToImageCommand.parse(in), s -> TextToImageCommand.run(s, out, err));
            case "evaluate-prompts" -> onBackend(o, out, EvaluatePromptsCommand.parse(in),
                    s -> EvaluatePromptsCommand.run(s, out, err));
            default -> throw new IllegalStateException("the command '" + in.command() + "' has no action");
        }
    }

    /** The message for a command that ran out of heap: how much there was, and what to change. */
    static String outOfMemory(String command, long maxHeapBytes) {
        return command + " ran out of Java heap (the maximum is " + (maxHeapBytes >> 20)
                + " MiB): give the JVM more with -Xmx, for example java -Xmx2g ..., or make the work smaller"
                + " (fewer images with --count, a smaller --batch)";
    }

    /** Explains a failed file operation in one line. */
    private static String describe(IOException e) {
        if (e instanceof NoSuchFileException) {
            return "no such file: " + e.getMessage();
        }
        if (e instanceof AccessDeniedException) {
            return "permission denied: " + e.getMessage();
        }
        if (e instanceof FileAlreadyExistsException) {
            return "file already exists: " + e.getMessage();
        }
        return e.getMessage() != null ? e.getMessage() : e.toString();
    }

    /** What a command does once its settings are read. */
    private interface Work<S> {
        void run(S settings) throws IOException;
    }

    /**
     * Runs a command's work on its backend ({@link #useBackend}), after its settings were read, so
     * that a bad command line is reported before any backend is looked for.
     */
    private static <S> void onBackend(Options o, PrintStream out, S settings, Work<S> work) throws IOException {
        try (Backends.Scope scope = useBackend(o, out)) {
            work.run(settings);
        }
    }

    /**
     * Chooses the backend of a command: {@code --backend <id>} makes that backend current on this
     * thread for the command, without changing the default (which {@code -D}{@value Backends#PROPERTY}
     * or the environment chooses); without it, the current backend stays.
     *
     * @param o   the command's options
     * @param out where the choice is reported
     * @return the scope to close when the command is done
     * @throws BackendException if the backend is unknown or none is found
     */
    private static Backends.Scope useBackend(Options o, PrintStream out) {
        String id = o.string("backend", null);
        if (id != null) {
            Backend chosen = Backends.get(id.trim());
            out.println("using backend '" + chosen.id() + "' (" + chosen.description() + "), chosen by --backend");
            return Backends.use(chosen);
        }
        Backends.Selection selection = Backends.selection();
        Backend backend = Backends.current();
        out.println("using " + (backend == selection.backend() ? selection.describe()
                : "backend '" + backend.id() + "' (" + backend.description() + ")"));
        return Backends.use(backend);
    }

    /** Prints every discovered backend, then the default choice and its reason. */
    private static void backends(PrintStream out) {
        List<Backend> found = Backends.available();
        out.println("backends found: " + found.size());
        for (Backend b : found) {
            out.printf(Locale.ROOT, "  %-10s priority %4d  %s, %s%n", b.id(), b.priority(), b.description(), b.location());
        }
        Backends.Selection s = Backends.selection();
        out.println("using " + s.describe());
    }

    /** Prints the default backend, why it was chosen, and what else was found. */
    private static void reportSelection(PrintStream out) {
        Backends.Selection s = Backends.selection();
        out.println("using " + s.describe());
        out.println("backends found: " + ids(s.found()));
    }

    private static String ids(List<Backend> backends) {
        return backends.stream().map(b -> b.id() + " (priority " + b.priority() + ")").collect(Collectors.joining(", "));
    }
}
