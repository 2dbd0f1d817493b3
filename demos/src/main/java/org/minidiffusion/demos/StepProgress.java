package org.minidiffusion.demos;

import java.io.PrintStream;
import java.util.Arrays;

/**
 * The progress of a training loop: a bar over the steps on the console (and plain progress lines
 * in the run's log, for the commands that keep one), lines printed without garbling it, and the
 * mean of each value per step, and of the time per step, over the last {@value #WINDOW} steps.
 */
final class StepProgress {
    /** The steps over which the means are taken. */
    static final int WINDOW = 50;

    private final PrintStream out;
    private final PrintStream log;
    private final double[][] window; // the values of each step, then its time in nanoseconds
    private ProgressBar bar;
    private ProgressBar logBar;
    private int seen;
    private long trainNanos;

    /**
     * Creates the progress of one run.
     *
     * @param out    the console
     * @param log    the run's log, or null for none
     * @param values the number of values recorded per step, such as 1 for the loss alone
     */
    StepProgress(PrintStream out, PrintStream log, int values) {
        this.out = out;
        this.log = log;
        this.window = new double[values + 1][WINDOW];
    }

    /**
     * Starts the bars over {@code total} steps, with a plain line every twentieth of the run and
     * at least every 100 steps.
     *
     * @param total the step the run ends at
     */
    void start(int total) {
        long every = Math.min(100, ProgressBar.every(total, 20));
        bar = new ProgressBar(out, ProgressBar.isTerminal(out), "step", total, every);
        logBar = log == null ? null : new ProgressBar(log, false, "step", total, every);
    }

    /**
     * Records the values and time of a step, for the means.
     *
     * @param nanos  the time the step took
     * @param values its values, as many as the constructor was told
     */
    void record(long nanos, double... values) {
        trainNanos += nanos;
        int slot = seen % WINDOW;
        for (int i = 0; i < values.length; i++) {
            window[i][slot] = values[i];
        }
        window[window.length - 1][slot] = nanos;
        seen++;
    }

    /**
     * Returns the mean of a value over the last {@value #WINDOW} steps recorded.
     *
     * @param value the value's index in {@link #record}
     * @return the mean, NaN before the first step
     */
    double mean(int value) {
        return Arrays.stream(window[value], 0, Math.min(seen, WINDOW)).average().orElse(Double.NaN);
    }

    /** Returns the mean time per step over the last {@value #WINDOW} steps recorded, in seconds. */
    double secondsPerStep() {
        return mean(window.length - 1) / 1e9;
    }

    /** Returns the time of every step recorded, in nanoseconds. */
    long trainNanos() {
        return trainNanos;
    }

    /**
     * Updates the bars.
     *
     * @param step   the step done
     * @param fields what to show, such as the mean loss and the speed
     */
    void update(long step, String fields) {
        double seconds = secondsPerStep();
        bar.update(step, seconds, fields);
        if (logBar != null) {
            logBar.update(step, seconds, fields);
        }
    }

    /**
     * Prints a line on the console, without garbling the bar, and in the log.
     *
     * @param text the line
     */
    void line(String text) {
        if (bar != null) {
            bar.println(text);
        } else {
            out.println(text);
        }
        if (log != null) {
            log.println(text);
        }
    }

    /** Ends the bars, after the last step or a failure; lines then go straight to the console. */
    void stop() {
        if (bar != null) {
            bar.finish();
            bar = null;
            logBar = null;
        }
    }
}
