package org.minidiffusion.demos;

import java.io.PrintStream;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;
import org.minidiffusion.core.api.Backend;
import org.minidiffusion.core.api.BackendException;
import org.minidiffusion.core.api.Backends;

/**
 * The command-line entry point of the demos: {@code backends}, {@code mlp}, {@code bench} or
 * {@code help}.
 *
 * <p>A bad command line prints a one-line error and the usage and exits with code 2; a missing or
 * unknown backend prints the reason and exits with code 1.
 */
public final class Demos {
    /** The usage text. */
    static final String USAGE = String.join(System.lineSeparator(),
            "usage: java --module-path demos/target/lib:<backend jar> -m org.minidiffusion.demos/org.minidiffusion.demos.Demos <command> [options]",
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
            "  help                           show this text",
            "",
            "backends: put backend-scalar.jar (module org.minidiffusion.backend.scalar) and/or backend-parallel.jar",
            "(module org.minidiffusion.backend.parallel) on the module path; the highest priority wins unless",
            "-D" + Backends.PROPERTY + "=<id> or the environment variable " + Backends.ENV + " names one.");

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
     * @return the exit code: 0 on success, 1 if no backend can be used, 2 for a bad command line
     */
    static int run(String[] args, PrintStream out, PrintStream err) {
        try {
            String command = args.length == 0 ? "help" : args[0];
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
                default -> throw new UsageException("unknown command '" + command + "'");
            }
            return 0;
        } catch (UsageException e) {
            err.println("error: " + e.getMessage());
            err.println(USAGE);
            return 2;
        } catch (BackendException e) {
            err.println("error: " + e.getMessage());
            return 1;
        }
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
