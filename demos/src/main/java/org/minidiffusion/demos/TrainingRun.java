package org.minidiffusion.demos;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.Reader;
import java.io.StringWriter;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.function.BinaryOperator;
import org.minidiffusion.io.AtomicFiles;
import org.minidiffusion.io.FileFormatException;
import org.minidiffusion.io.Plot;

/**
 * The output directory of a training command ({@code train}, {@code train-vae}, {@code train-clip},
 * {@code train-t2i}) and the files every one of them keeps there: the checkpoint, the recorded run
 * ({@value #RUN_INFO}: what a checkpoint fixes and a resumed run must use again), the loss table
 * ({@value #LOSSES_CSV}), its chart ({@value #LOSS_PNG}) and the log ({@value #LOG}); with the
 * checks of {@code --resume}, {@code --steps} and {@code --stop-after} against them.
 *
 * <p>The messages name the kind of run, such as {@code "CLIP training run"}, as each command did.
 */
final class TrainingRun {
    /** The checkpoint's file name: weights and optimiser state, to continue with {@code --resume}. */
    static final String CHECKPOINT = "checkpoint.safetensors";
    /** The loss table's file name. */
    static final String LOSSES_CSV = "losses.csv";
    /** The loss chart's file name. */
    static final String LOSS_PNG = "loss.png";
    /** The log's file name, for the commands that keep one. */
    static final String LOG = "train.log";
    /** The recorded run's file name. */
    static final String RUN_INFO = "run.properties";
    /** The width of {@value #LOSS_PNG} in pixels. */
    static final int LOSS_PLOT_WIDTH = 800;
    /** The height of {@value #LOSS_PNG} in pixels. */
    static final int LOSS_PLOT_HEIGHT = 400;

    private final Path dir;
    private final boolean resume;
    private final String kind;
    private final String lossTitle;
    private final LossTable table;
    private Properties recorded = new Properties();

    /**
     * Describes a run's directory; nothing is read or written yet.
     *
     * @param dir       the output directory
     * @param resume    whether {@code --resume} asks to continue the run in it
     * @param kind      the run's name in messages, such as {@code "training run"}
     * @param lossTitle the title of {@value #LOSS_PNG}, such as {@code "train: loss per step"}
     * @param table     the layout of {@value #LOSSES_CSV}
     */
    TrainingRun(Path dir, boolean resume, String kind, String lossTitle, LossTable table) {
        this.dir = dir;
        this.resume = resume;
        this.kind = kind;
        this.lossTitle = lossTitle;
        this.table = table;
    }

    /**
     * Rejects the options a checkpoint fixes when {@code --resume} is given.
     *
     * @param o      the parsed options
     * @param fixed  the options, by name without dashes
     * @param fixer  what fixes them in the message, {@code "checkpoint"} or {@code "run"}
     * @throws UsageException naming the first such option given
     */
    static void rejectFixed(Options o, List<String> fixed, String fixer) {
        if (!o.flag("resume")) {
            return;
        }
        for (String name : fixed) {
            if (o.has(name)) {
                throw new UsageException("--" + name + " cannot be combined with --resume: the " + fixer + " fixes it");
            }
        }
    }

    /** Returns the output directory. */
    Path dir() {
        return dir;
    }

    /** Returns the checkpoint file in the output directory. */
    Path checkpoint() {
        return dir.resolve(CHECKPOINT);
    }

    /** Returns what {@value #RUN_INFO} says about the run: empty for a new run before {@link #record}. */
    Properties recorded() {
        return recorded;
    }

    /**
     * Checks that the directory fits the request (a checkpoint to resume, or none to overwrite) and
     * reads {@value #RUN_INFO} of a run to resume, which may be missing (the data then default).
     *
     * @param damagedHint appended to the error for a file that is not a properties file, such as
     *                    {@code "; delete it and resume with --data"}
     * @return what the file says, empty for a new run or without the file
     * @throws DemoException       if the directory does not fit the request
     * @throws FileFormatException if the file is not a properties file
     * @throws IOException         if the file cannot be read
     */
    Properties recordedRun(String damagedHint) throws IOException {
        Path info = checkDirectory();
        if (info != null && Files.exists(info)) {
            load(info, damagedHint);
        }
        return recorded;
    }

    /**
     * Checks that the directory fits the request (a checkpoint to resume, or none to overwrite) and
     * reads {@value #RUN_INFO} of a run to resume, which must exist and have every required key.
     *
     * @param records      what the file records, for the error when it is missing, such as
     *                     {@code "the data, captions and tokenizer"}
     * @param requiredKeys the keys the file must have
     * @return what the file says, empty for a new run
     * @throws DemoException       if the directory does not fit the request or the file is missing
     * @throws FileFormatException if the file is not a properties file or lacks a key
     * @throws IOException         if the file cannot be read
     */
    Properties recordedRun(String records, List<String> requiredKeys) throws IOException {
        Path info = checkDirectory();
        if (info == null) {
            return recorded;
        }
        if (!Files.exists(info)) {
            throw new DemoException("--resume: " + info + " is missing; it records " + records + " of the run, which"
                    + " a resumed run must use again");
        }
        load(info, "");
        for (String key : requiredKeys) {
            if (recorded.getProperty(key) == null) {
                throw new FileFormatException(info, "lacks the key '" + key + "' of a " + kind);
            }
        }
        return recorded;
    }

    /** Checks the directory against the request; returns the run description to read, or null for a new run. */
    private Path checkDirectory() {
        Path checkpoint = checkpoint();
        if (!resume) {
            if (Files.exists(checkpoint)) {
                throw new DemoException(dir + " already holds a " + kind + " (" + checkpoint + "); continue it with"
                        + " --resume (and --steps to extend it), or pass another --out");
            }
            return null;
        }
        if (!Files.exists(checkpoint)) {
            throw new DemoException("--resume: there is no checkpoint " + checkpoint
                    + " to continue from; start a new run without --resume");
        }
        return dir.resolve(RUN_INFO);
    }

    private void load(Path info, String damagedHint) throws IOException {
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(info, StandardCharsets.UTF_8)) {
            p.load(r);
        } catch (CharacterCodingException | IllegalArgumentException e) {
            throw new FileFormatException(info, "is not a properties file of a " + kind + " (" + e.getMessage() + ")"
                    + damagedHint, e);
        }
        recorded = p;
    }

    /**
     * Checks a recorded value against the one a resumed run would use; a value not recorded passes.
     *
     * @param key     the key in {@value #RUN_INFO}
     * @param actual  the value now
     * @param message the error from the recorded value and the value now
     * @throws DemoException with that message if they differ
     */
    void requireSame(String key, String actual, BinaryOperator<String> message) {
        String expected = recorded.getProperty(key);
        if (expected != null && !expected.equals(actual)) {
            throw new DemoException(message.apply(expected, actual));
        }
    }

    /**
     * Returns a recorded whole number.
     *
     * @param key the key in {@value #RUN_INFO}
     * @return its value, at least 0
     * @throws FileFormatException naming the file, the key and the value if it is not a whole number {@code >= 0}
     */
    int recordedInt(String key) throws FileFormatException {
        String v = recorded.getProperty(key);
        try {
            int n = Integer.parseInt(v.trim());
            if (n >= 0) {
                return n;
            }
        } catch (NumberFormatException | NullPointerException e) {
            // reported below
        }
        throw new FileFormatException(dir.resolve(RUN_INFO), "the key '" + key + "' is '" + v
                + "', not a whole number >= 0");
    }

    /**
     * Records a new run in {@value #RUN_INFO}, atomically, creating the directory if needed.
     *
     * @param comment the file's comment line, such as {@code "mini-diffusion training run"}
     * @param values  the keys and values
     * @throws IOException if writing fails
     */
    void record(String comment, Map<String, String> values) throws IOException {
        Properties info = new Properties();
        values.forEach(info::setProperty);
        StringWriter text = new StringWriter();
        info.store(text, comment);
        Files.createDirectories(dir);
        AtomicFiles.write(dir.resolve(RUN_INFO), text.toString().getBytes(StandardCharsets.UTF_8));
        recorded = info;
    }

    /**
     * Checks that a resumed checkpoint has steps left to train, or, for a command that can finish
     * again (export, write its pipeline) without training, that {@code --steps} does not ask for fewer.
     *
     * @param completed the checkpoint's steps done
     * @param total     the steps the resumed run plans
     * @param steps     {@code --steps}, 0 if not given
     * @param again     what a finished run does again without {@code --steps}, such as
     *                  {@code "measure and export it again"}; null if a finished run cannot be resumed
     * @throws DemoException if there is nothing to train
     */
    void checkSteps(long completed, int total, int steps, String again) {
        String further = "; pass --steps greater than " + completed + " to train further"
                + (again == null ? "" : ", or no --steps to " + again);
        if (steps > 0 && steps <= completed) {
            throw new DemoException("the run in " + dir + " has already done " + completed + " steps" + further);
        }
        if (again == null && completed >= total) {
            throw new DemoException("the run in " + dir + " has finished its " + completed + " steps" + further);
        }
    }

    /**
     * Returns the step this session ends at: {@code --stop-after} if given and within the plan,
     * else the plan's last.
     *
     * @param completed the steps done before this session
     * @param total     the steps the run plans
     * @param stopAfter {@code --stop-after}, 0 if not given
     * @return the last step to train in this session
     * @throws DemoException if {@code --stop-after} is given and the run has already reached it
     */
    static int endStep(long completed, int total, int stopAfter) {
        int end = stopAfter > 0 ? Math.min(total, stopAfter) : total;
        if (stopAfter > 0 && completed >= end) {
            throw new DemoException("--stop-after " + stopAfter + ": the run has already done " + completed + " steps");
        }
        return end;
    }

    /**
     * Returns the line that reports a resumed run.
     *
     * @param completed the steps done
     * @param total     the steps planned
     * @return {@code "resuming <checkpoint> at step C of T"}
     */
    String resuming(long completed, int total) {
        return String.format(Locale.ROOT, "resuming %s at step %d of %d", checkpoint(), completed, total);
    }

    /**
     * Returns the line that reports a session ended by {@code --stop-after}.
     *
     * @param command   the command's name, such as {@code "train-vae"}
     * @param completed the steps done
     * @param total     the steps planned
     * @return the line, with the command line that continues the run
     */
    String stopped(String command, long completed, int total) {
        return String.format(Locale.ROOT, "stopped after step %d of %d as --stop-after asked; continue with: %s"
                + " --resume --out %s", completed, total, command, dir);
    }

    /**
     * Returns the arrays of values per step of a run, NaN where unknown, with the values of the
     * steps done before a resume read from {@value #LOSSES_CSV}.
     *
     * @param total     the steps planned
     * @param completed the steps done so far
     * @return one array of {@code total} values per column of the table
     * @throws IOException if the table exists but cannot be read, or is not text
     */
    double[][] losses(int total, long completed) throws IOException {
        double[][] curves = new double[table.columns()][total];
        for (double[] c : curves) {
            Arrays.fill(c, Double.NaN);
        }
        if (completed > 0) {
            table.read(dir.resolve(LOSSES_CSV), curves, completed);
        }
        return curves;
    }

    /**
     * Writes the values of steps {@code 1..steps} to {@value #LOSSES_CSV}, atomically.
     *
     * @param curves the values, one array per column
     * @param steps  the steps done
     * @throws IOException if writing fails
     */
    void writeLosses(double[][] curves, long steps) throws IOException {
        table.write(dir.resolve(LOSSES_CSV), curves, steps);
    }

    /**
     * Draws the loss of steps {@code 1..steps} as {@value #LOSS_PNG}, atomically, if one is finite.
     *
     * @param losses the loss of each step, NaN where unknown
     * @param steps  the steps done
     * @throws IOException if writing fails
     */
    void plotLosses(double[] losses, long steps) throws IOException {
        double[] upToNow = Arrays.copyOf(losses, (int) steps);
        if (Arrays.stream(upToNow).anyMatch(Double::isFinite)) {
            Plot.lossCurve(dir.resolve(LOSS_PNG), upToNow, LOSS_PLOT_WIDTH, LOSS_PLOT_HEIGHT, lossTitle);
        }
    }

    /**
     * Writes {@value #LOSSES_CSV}, then {@value #LOSS_PNG}.
     *
     * @param curves the values, one array per column, the loss first
     * @param steps  the steps done
     * @throws IOException if writing fails
     */
    void saveLosses(double[][] curves, long steps) throws IOException {
        writeLosses(curves, steps);
        plotLosses(curves[0], steps);
    }

    /**
     * Opens {@value #LOG} for appending, creating the directory if needed.
     *
     * @return a stream that flushes every line
     * @throws IOException if the file cannot be opened
     */
    PrintStream openLog() throws IOException {
        Files.createDirectories(dir);
        OutputStream file = Files.newOutputStream(dir.resolve(LOG), StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        return new PrintStream(file, true, StandardCharsets.UTF_8);
    }
}
