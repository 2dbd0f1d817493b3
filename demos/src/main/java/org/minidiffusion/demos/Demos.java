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
import org.minidiffusion.io.FashionMnist;

/**
 * The command-line entry point of the demos: {@code backends}, {@code mlp}, {@code bench},
 * {@code train}, {@code generate}, {@code classifier-train}, {@code evaluate}, {@code tokenize},
 * {@code txt2img}, {@code evaluate-prompts} and the other commands of {@link #USAGE}, or {@code help}.
 *
 * <p>Every failure, whether a bad command line, a missing or unknown backend, a missing, damaged or
 * invalid file, or a diverging training run, prints one line {@code error: <reason>} on standard
 * error and exits with code 1 (2 for a bad command line). No stack trace is printed unless the global option
 * {@code --verbose} is given.
 */
public final class Demos {
    /** The usage text. */
    static final String USAGE = String.join(System.lineSeparator(),
            "usage: java --module-path demos/target/lib:<backend jar> -m org.minidiffusion.demos/org.minidiffusion.demos.Demos <command> [options]",
            "",
            "global option:",
            "  --verbose                      print the stack trace of an error (anywhere on the command line)",
            "",
            "commands:",
            "  backends                       show the discovered compute backends and which one is used, and why",
            "  mlp [--steps N] [--seed N] [--lr X]",
            "                                 train a tiny MLP on two spirals with autograd (defaults: --steps "
                    + MlpDemo.DEFAULT_STEPS + " --seed " + MlpDemo.DEFAULT_SEED + " --lr " + MlpDemo.DEFAULT_LR + ")",
            "  bench [--size N] [--iters N] [--warmup N]",
            "                                 time an NxN matmul on every discovered backend (defaults: --size "
                    + MatmulBench.DEFAULT_SIZE + " --iters " + MatmulBench.DEFAULT_ITERS + " --warmup "
                    + MatmulBench.DEFAULT_WARMUP + ")",
            "  bench-model [--timing best|single] [--skip-ddim] [--budget SECONDS] [--main-only] [--json] [--backend ID]",
            "                                 time the performance issue's workloads on one backend: sgemm, conv2d, the",
            "                                 benchmark U-Net's forward and training step, 50-step DDIM with its memory, and",
            "                                 the forward at batch 1/4/16 and 32/64 pixels; --timing best (the default) warms",
            "                                 up and keeps the best of several runs, single warms up once and times one run",
            "                                 (for the slow scalar backend); --skip-ddim leaves out DDIM; --budget skips the",
            "                                 U-Net rows whose estimated time would end past SECONDS; --main-only stops after",
            "                                 DDIM and its memory rows; --json: one JSON line",
            "  train [--out DIR] [--resume] [--steps N] [--batch N] [--lr X] [--model " + String.join("|", ModelSize.ids())
                    + "] [--seed N]",
            "        [--data DIR] [--split t10k|train] [--sample-every N] [--checkpoint-every N] [--sample-steps N]",
            "        [--backend ID]",
            "                                 train a class-conditional diffusion U-Net on Fashion-MNIST with a progress bar;",
            "                                 writes checkpoint.safetensors, samples/step-NNNNNN.png (one row per class),",
            "                                 loss.png, losses.csv and model.safetensors (the EMA weights, for generate) to",
            "                                 --out; --resume continues <out>/checkpoint.safetensors, up to --steps if given",
            "                                 (defaults: --out " + TrainCommand.DEFAULT_OUT + " --steps " + TrainCommand.DEFAULT_STEPS
                    + " --batch " + TrainCommand.DEFAULT_BATCH + " --lr " + TrainCommand.DEFAULT_LR + " --model "
                    + TrainCommand.DEFAULT_MODEL.id(),
            "                                 --seed " + TrainCommand.DEFAULT_SEED + " --data " + FashionMnist.DEFAULT_DIR
                    + " --checkpoint-every " + TrainCommand.DEFAULT_CHECKPOINT_EVERY + " --sample-steps "
                    + TrainCommand.DEFAULT_SAMPLE_STEPS + ";",
            "                                 --sample-every: a tenth of --steps, at least " + TrainCommand.MIN_SAMPLE_EVERY
                    + "; --split: t10k for the built-in data,",
            "                                 else train if --data has it)",
            VaeTrainCommand.USAGE,
            "  generate [--model FILE] [--out PNG] [--sampler ddim|ddpm] [--steps N] [--eta X] [--guidance X] [--seed N]",
            "           [--count N] [--backend ID]",
            "                                 sample --count images into a PNG grid with one row per class; --model also",
            "                                 takes a training checkpoint (defaults: --model <models>/" + GenerateCommand.DEFAULT_MODEL,
            "                                 --out " + GenerateCommand.DEFAULT_OUT + " --sampler " + GenerateCommand.DEFAULT_SAMPLER.id()
                    + " --steps " + GenerateCommand.DEFAULT_STEPS + " --eta " + GenerateCommand.DEFAULT_ETA + " --guidance "
                    + GenerateCommand.DEFAULT_GUIDANCE + " --seed " + GenerateCommand.DEFAULT_SEED + " --count "
                    + GenerateCommand.DEFAULT_COUNT + ")",
            "  classifier-train [--data DIR] [--out FILE] [--epochs N] [--batch N] [--lr X] [--seed N] [--steps N]",
            "                   [--backend ID]",
            "                                 train the CNN classifier that evaluate uses on the 60,000-image train split",
            "                                 and test it on t10k; --steps N stops early, for a quick run (defaults: --data",
            "                                 " + ClassifierCommand.DEFAULT_DATA + " --out " + ClassifierCommand.DEFAULT_OUT,
            "                                 --epochs " + ClassifierCommand.DEFAULT_EPOCHS + " --batch "
                    + ClassifierCommand.DEFAULT_BATCH + " --lr " + ClassifierCommand.DEFAULT_LR + " --seed "
                    + ClassifierCommand.DEFAULT_SEED + ")",
            "  evaluate [--classifier FILE] [--out PNG] [the options of generate]",
            "                                 generate images as generate does and print the fraction the classifier",
            "                                 labels as the class requested, per class and overall; --out also writes",
            "                                 the grid (default --classifier <models>/" + EvaluateCommand.SHIPPED_CLASSIFIER + ")",
            TokenizeCommand.USAGE,
            CaptionsCommand.USAGE,
            TrainTokenizerCommand.USAGE,
            ClipTrainCommand.USAGE,
            TextToImageTrainCommand.USAGE,
            TextToImageCommand.USAGE,
            EvaluatePromptsCommand.USAGE,
            "  help                           show this text",
            "",
            "backends: put backend-scalar.jar (module org.minidiffusion.backend.scalar) and/or backend-parallel.jar",
            "(module org.minidiffusion.backend.parallel) on the module path; the highest priority wins unless",
            "-D" + Backends.PROPERTY + "=<id> or the environment variable " + Backends.ENV + " names one;",
            "--backend <id> of bench-model, the train commands, generate, classifier-train, evaluate, txt2img and",
            "evaluate-prompts runs that command on backend <id> without changing the default.",
            "",
            "models: without --model (--classifier), generate and evaluate take the shipped model from the first of these",
            "directories that holds it: the environment variable " + ShippedModels.ENV + ", -D" + ShippedModels.PROPERTY
                    + "=<dir> (which the",
            "minidiffusion launcher and the runtime image set to their own models/), ./models, the runtime image's models/.");

    /** The global option that adds stack traces to error messages. */
    static final String VERBOSE = "--verbose";

    private static final String HELP = "help";

    private Demos() {
    }

    /**
     * Runs the subcommand named by the first argument and exits with a non-zero code on failure.
     *
     * @param args the subcommand and its options
     */
    public static void main(String[] args) {
        int code = run(args, System.out, System.err);
        System.out.flush();
        if (code != 0) {
            System.exit(code);
        }
    }

    /**
     * Runs a subcommand, reporting errors on {@code err}.
     *
     * @param args the subcommand and its options
     * @param out  the standard output
     * @param err  the standard error
     * @return the exit code: 0 on success, 2 for a bad command line, 1 for any other failure (no
     *         usable backend, a missing or invalid file, ...), each reported in one line on {@code err}
     */
    static int run(String[] args, PrintStream out, PrintStream err) {
        boolean verbose = Arrays.asList(args).contains(VERBOSE);
        String[] rest = Arrays.stream(args).filter(a -> !a.equals(VERBOSE)).toArray(String[]::new);
        String command = rest.length == 0 ? "help" : rest[0];
        try {
            runCommand(command, rest, out, err);
            return 0;
        } catch (UsageException e) {
            fail(out, err, e.getMessage() + " (see '" + HELP + "')", e, verbose);
            return 2; // a bad command line, as POSIX utilities report it
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
            return fail(out, err, command + " failed: " + e + (verbose ? "" : " (rerun with " + VERBOSE
                    + " for the stack trace)"), e, verbose);
        } catch (OutOfMemoryError e) {
            return fail(out, err, outOfMemory(command, Runtime.getRuntime().maxMemory()), e, verbose);
        }
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
    private static void runCommand(String command, String[] args, PrintStream out, PrintStream err) throws IOException {
        switch (command) {
            case "help", "-h", "--help" -> {
                Options.parse(command, args, 1, Set.of());
                out.println(USAGE);
            }
            case "backends" -> {
                Options.parse(command, args, 1, Set.of());
                backends(out);
            }
            case "mlp" -> {
                Options o = Options.parse(command, args, 1, Set.of("steps", "seed", "lr"));
                int steps = o.intValue("steps", MlpDemo.DEFAULT_STEPS, 0, 1_000_000);
                MlpDemo.Config config = new MlpDemo.Config(steps, o.longValue("seed", MlpDemo.DEFAULT_SEED),
                        o.positiveFloat("lr", MlpDemo.DEFAULT_LR, 10f), Math.max(1, steps / 10));
                reportSelection(out);
                out.println();
                MlpDemo.train(config, out);
            }
            case "bench" -> {
                Options o = Options.parse(command, args, 1, Set.of("size", "iters", "warmup"));
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
                Options o = Options.parse(command, args, 1, Set.of("backend", "timing", "budget"),
                        Set.of("skip-ddim", "json", "main-only"));
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
            case "train" -> {
                Options o = Options.parse(command, args, 1, TrainCommand.OPTIONS, TrainCommand.FLAGS);
                TrainCommand.Settings settings = TrainCommand.parse(o);
                try (Backends.Scope scope = useBackend(o, out)) {
                    TrainCommand.run(settings, out);
                }
            }
            case "train-vae" -> {
                Options o = Options.parse(command, args, 1, VaeTrainCommand.OPTIONS, VaeTrainCommand.FLAGS);
                VaeTrainCommand.Settings settings = VaeTrainCommand.parse(o);
                try (Backends.Scope scope = useBackend(o, out)) {
                    VaeTrainCommand.run(settings, out);
                }
            }
            case "generate" -> {
                Options o = Options.parse(command, args, 1, GenerateCommand.OPTIONS);
                GenerateCommand.Settings settings = GenerateCommand.parse(o);
                try (Backends.Scope scope = useBackend(o, out)) {
                    GenerateCommand.run(settings, out);
                }
            }
            case "classifier-train" -> {
                Options o = Options.parse(command, args, 1, ClassifierCommand.OPTIONS);
                ClassifierCommand.Settings settings = ClassifierCommand.parse(o);
                try (Backends.Scope scope = useBackend(o, out)) {
                    ClassifierCommand.run(settings, out);
                }
            }
            case "evaluate" -> {
                Options o = Options.parse(command, args, 1, EvaluateCommand.OPTIONS);
                GenerateCommand.Settings settings = GenerateCommand.parse(o);
                Path classifier = o.has("classifier") ? o.path("classifier", null)
                        : ShippedModels.resolve(EvaluateCommand.SHIPPED_CLASSIFIER, "--classifier");
                try (Backends.Scope scope = useBackend(o, out)) {
                    EvaluateCommand.run(settings, o.has("out"), classifier, out);
                }
            }
            case "tokenize" -> TokenizeCommand.run(args, out);
            case "captions" -> CaptionsCommand.run(Options.parse(command, args, 1, CaptionsCommand.OPTIONS), out);
            case "train-tokenizer" -> TrainTokenizerCommand.run(Options.parse(command, args, 1,
                    TrainTokenizerCommand.OPTIONS, TrainTokenizerCommand.FLAGS), out);
            case "train-clip" -> {
                Options o = Options.parse(command, args, 1, ClipTrainCommand.OPTIONS, ClipTrainCommand.FLAGS);
                ClipTrainCommand.Settings settings = ClipTrainCommand.parse(o);
                try (Backends.Scope scope = useBackend(o, out)) {
                    ClipTrainCommand.run(settings, out);
                }
            }
            case "train-t2i" -> {
                Options o = Options.parse(command, args, 1, TextToImageTrainCommand.OPTIONS,
                        TextToImageTrainCommand.FLAGS);
                TextToImageTrainCommand.Settings settings = TextToImageTrainCommand.parse(o);
                try (Backends.Scope scope = useBackend(o, out)) {
                    TextToImageTrainCommand.run(settings, out);
                }
            }
            case "txt2img" -> {
                TextToImageCommand.Parsed p = TextToImageCommand.parseCommandLine(args, TextToImageCommand.OPTIONS,
                        TextToImageCommand.FLAGS);
                TextToImageCommand.Settings settings = TextToImageCommand.parse(p);
                try (Backends.Scope scope = useBackend(p.options(), out)) {
                    TextToImageCommand.run(settings, out, err);
                }
            }
            case "evaluate-prompts" -> {
                TextToImageCommand.Parsed p = TextToImageCommand.parseCommandLine(args, EvaluatePromptsCommand.OPTIONS,
                        Set.of());
                EvaluatePromptsCommand.Settings settings = EvaluatePromptsCommand.parse(p);
                try (Backends.Scope scope = useBackend(p.options(), out)) {
                    EvaluatePromptsCommand.run(settings, out, err);
                }
            }
            default -> throw new UsageException("unknown command '" + command + "'");
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
