package org.minidiffusion.demos;

import java.io.PrintStream;
import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * A progress report for long loops: on a terminal, one line redrawn in place with {@code \r};
 * otherwise (output redirected to a file or a pipe, or in tests) a plain line every so many units.
 *
 * <p>Each report shows {@code done/total}, the caller's fields (such as the loss and the speed)
 * and the estimated time left.
 */
final class ProgressBar {
    private static final int BAR_WIDTH = 20;
    private static final long REDRAW_NANOS = 100_000_000L;

    private final PrintStream out;
    private final boolean interactive;
    private final String label;
    private final long total;
    private final long plainEvery;
    private final LongSupplier nanoClock;
    private long lastDraw;
    private boolean drawn;
    private int lastWidth;

    /**
     * Creates a progress report.
     *
     * @param out         where it goes
     * @param interactive whether to redraw one line in place, as on a terminal
     * @param label       the first word of each line, such as {@code "step"}
     * @param total       the number of units of work, at least 1
     * @param plainEvery  without a terminal, print a line every this many units (and after the last)
     */
    ProgressBar(PrintStream out, boolean interactive, String label, long total, long plainEvery) {
        this(out, interactive, label, total, plainEvery, System::nanoTime);
    }

    /**
     * Creates a progress report with a given clock, for tests.
     *
     * @param out         where it goes
     * @param interactive whether to redraw one line in place
     * @param label       the first word of each line
     * @param total       the number of units of work, at least 1
     * @param plainEvery  without a terminal, print a line every this many units
     * @param nanoClock   the time in nanoseconds, for throttling redraws
     */
    ProgressBar(PrintStream out, boolean interactive, String label, long total, long plainEvery, LongSupplier nanoClock) {
        this.out = out;
        this.interactive = interactive;
        this.label = label;
        this.total = Math.max(1, total);
        this.plainEvery = Math.max(1, plainEvery);
        this.nanoClock = nanoClock;
    }

    /**
     * Returns whether {@code out} is the standard output of a terminal, where a redrawn line works.
     *
     * @param out the stream a command writes to
     * @return whether to draw an in-place progress bar
     */
    static boolean isTerminal(PrintStream out) {
        return out == System.out && System.console() != null;
    }

    /**
     * Returns a plain-line interval that gives about {@code lines} lines over {@code total} units.
     *
     * @param total the number of units
     * @param lines the number of lines wanted
     * @return the interval, at least 1
     */
    static long every(long total, int lines) {
        return Math.max(1, (total + lines - 1) / lines);
    }

    /**
     * Reports that {@code done} units are finished.
     *
     * @param done           the units finished so far, at most the total
     * @param secondsPerUnit the expected time of each remaining unit, for the time left; NaN if unknown
     * @param fields         what else to show, such as {@code "loss 0.0712  48.3 img/s"}; may be empty
     */
    void update(long done, double secondsPerUnit, String fields) {
        boolean last = done >= total;
        String eta = Double.isFinite(secondsPerUnit) && !last
                ? "ETA " + duration(secondsPerUnit * (total - done)) : last ? "done" : "";
        if (interactive) {
            long now = nanoClock.getAsLong();
            if (!last && drawn && now - lastDraw < REDRAW_NANOS) {
                return;
            }
            lastDraw = now;
            String text = label + " " + bar(done) + " " + counter(done) + join(fields, eta);
            out.print("\r" + text + " ".repeat(Math.max(0, lastWidth - text.length())));
            out.flush();
            lastWidth = text.length();
            drawn = true;
            if (last) {
                finish();
            }
        } else if (done % plainEvery == 0 || last) {
            out.println(label + " " + counter(done) + join(fields, eta));
        }
    }

    /**
     * Prints a line of its own, such as "saved a checkpoint", without garbling the bar; the bar
     * is redrawn on the next update.
     *
     * @param line the message
     */
    void println(String line) {
        if (drawn) {
            out.print("\r" + " ".repeat(lastWidth) + "\r");
            drawn = false;
            lastWidth = 0;
        }
        out.println(line);
    }

    /** Ends the bar's line, so that what follows starts on a new one. */
    void finish() {
        if (drawn) {
            out.println();
            drawn = false;
            lastWidth = 0;
        }
    }

    private String counter(long done) {
        String t = Long.toString(total);
        return String.format(Locale.ROOT, "%" + t.length() + "d/%s", done, t);
    }

    private String bar(long done) {
        int filled = (int) Math.min(BAR_WIDTH, BAR_WIDTH * done / total);
        return "[" + "#".repeat(filled) + "-".repeat(BAR_WIDTH - filled) + "]";
    }

    private static String join(String fields, String eta) {
        StringBuilder b = new StringBuilder();
        if (!fields.isEmpty()) {
            b.append("  ").append(fields);
        }
        if (!eta.isEmpty()) {
            b.append("  ").append(eta);
        }
        return b.toString();
    }

    /**
     * Formats a duration for people: {@code 45s}, {@code 12m 05s} or {@code 3h 07m}.
     *
     * @param seconds the duration
     * @return the text
     */
    static String duration(double seconds) {
        if (!Double.isFinite(seconds) || seconds < 0) {
            return "?";
        }
        long s = Math.round(seconds);
        if (s < 60) {
            return s + "s";
        }
        if (s < 3600) {
            return String.format(Locale.ROOT, "%dm %02ds", s / 60, s % 60);
        }
        return String.format(Locale.ROOT, "%dh %02dm", s / 3600, (s % 3600) / 60);
    }
}
