package org.minidiffusion.demos;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.minidiffusion.diffusion.train.TrainConfig;
import org.minidiffusion.diffusion.unet.UNet;
import org.minidiffusion.diffusion.unet.UNetConfig;
import org.minidiffusion.io.FashionMnist;

/**
 * What {@code train} tells the user: the plan, a progress bar with the mean loss and speed over
 * the last {@value StepProgress#WINDOW} steps, a line per checkpoint and sample grid, and a summary
 * with the files written.
 */
final class TrainReport {
    private final PrintStream out;
    private final Path dir;
    private final TrainConfig config;
    private final StepProgress progress;
    private long started;

    /**
     * Creates the report of one run.
     *
     * @param out    where it goes
     * @param dir    the output directory
     * @param config the run's training settings
     */
    TrainReport(PrintStream out, Path dir, TrainConfig config) {
        this.out = out;
        this.dir = dir;
        this.config = config;
        this.progress = new StepProgress(out, null, 1);
    }

    /**
     * Prints the plan: the model, the data, the settings and the files.
     *
     * @param modelName       the U-Net size
     * @param model           the model trained
     * @param images          the number of training images
     * @param dataDir         their directory
     * @param split           their split
     * @param checkpointEvery steps between checkpoints
     * @param sampleEvery     steps between sample grids, 0 for the end only
     */
    void plan(String modelName, UNet model, int images, Path dataDir, String split, int checkpointEvery,
              int sampleEvery) {
        UNetConfig unet = model.config();
        int parameters = model.parameters().values().stream().mapToInt(p -> p.shape().numel()).sum();
        out.printf(Locale.ROOT, "training a %s U-Net (%s; %,d parameters)%n", modelName, describe(unet), parameters);
        out.printf(Locale.ROOT, "  on %d images of %s (split %s), %d classes%n", images, dataDir, split,
                unet.numClasses());
        out.printf(Locale.ROOT, "  %d steps of %d images: AdamW lr %s, %d warm-up steps then cosine decay, EMA decay %.4g,"
                        + " class dropout %s, %s prediction, %s schedule, seed %d%n",
                config.steps(), config.batchSize(), config.learningRate(), config.warmupSteps(), config.emaDecay(),
                config.classDropout(), config.prediction().name().toLowerCase(Locale.ROOT),
                config.betaSchedule().name().toLowerCase(Locale.ROOT), config.seed());
        out.printf(Locale.ROOT, "  writing to %s: %s every %d steps, %s (EMA weights, for 'generate --model'), %s/step-NNNNNN.png %s,"
                        + " %s and %s%n", dir, TrainCommand.CHECKPOINT, checkpointEvery, TrainCommand.MODEL,
                TrainCommand.SAMPLES, sampleEvery > 0 ? "every " + sampleEvery + " steps" : "at the end",
                TrainCommand.LOSS_PNG, TrainCommand.LOSSES_CSV);
    }

    /**
     * Starts the progress bar and the clock.
     *
     * @param total the step the run ends at
     */
    void start(int total) {
        progress.start(total);
        started = System.nanoTime();
    }

    /**
     * Records a step and updates the bar.
     *
     * @param step  the step done
     * @param loss  its loss
     * @param nanos the time it took
     */
    void step(int step, double loss, long nanos) {
        progress.record(nanos, loss);
        progress.update(step, String.format(Locale.ROOT, "loss %.4f  %.1f img/s", progress.mean(0),
                config.batchSize() / progress.secondsPerStep()));
    }

    /**
     * Reports a checkpoint.
     *
     * @param step the step saved
     */
    void saved(int step) {
        progress.line("step " + step + ": saved " + TrainCommand.CHECKPOINT + ", " + TrainCommand.MODEL + ", "
                + TrainCommand.LOSS_PNG + " and " + TrainCommand.LOSSES_CSV);
    }

    /**
     * Reports that a sample grid is being drawn.
     *
     * @param step the step
     * @param unet the architecture sampled from
     * @param png  the grid's file
     */
    void sampling(int step, UNetConfig unet, Path png) {
        progress.line("step " + step + ": sampling " + Math.max(1, unet.numClasses()) * TrainCommand.SAMPLE_COLUMNS
                + " images from the EMA weights for " + dir.relativize(png) + " ...");
    }

    /**
     * Reports a sample grid written.
     *
     * @param step        the step
     * @param png         the grid's file
     * @param sampleSteps the DDIM steps
     * @param nanos       the time sampling took
     */
    void sampled(int step, Path png, int sampleSteps, long nanos) {
        progress.line(String.format(Locale.ROOT, "step %d: wrote %s (DDIM, %d step%s, guidance %s, %.1f s)", step,
                dir.relativize(png), sampleSteps, sampleSteps == 1 ? "" : "s", TrainCommand.SAMPLE_GUIDANCE,
                nanos / 1e9));
    }

    /** Ends the progress bar, after the last step or a failure. */
    void stop() {
        progress.stop();
    }

    /**
     * Prints the speed of the steps done and the files to use next.
     *
     * @param done the steps done in this run (after a resume, only the new ones)
     */
    void summary(long done) {
        double seconds = progress.trainNanos() / 1e9;
        if (done > 0) {
            out.printf(Locale.ROOT, "trained %d steps in %s (%.1f img/s, %.2f s per step; %s in all with checkpoints and"
                            + " samples)%n", done, ProgressBar.duration(seconds), done * config.batchSize() / seconds,
                    seconds / done, ProgressBar.duration((System.nanoTime() - started) / 1e9));
        }
        out.println("files in " + dir + ":");
        out.printf(Locale.ROOT, "  %-24s the EMA weights; sample with: generate --model %s%n", TrainCommand.MODEL,
                dir.resolve(TrainCommand.MODEL));
        out.printf(Locale.ROOT, "  %-24s continue with: train --resume --out %s --steps %d%n", TrainCommand.CHECKPOINT,
                dir, 2L * config.steps());
        out.printf(Locale.ROOT, "  %-24s sample grids, one row per class: %s%n", TrainCommand.SAMPLES + "/",
                String.join(", ", FashionMnist.CLASS_NAMES));
        out.printf(Locale.ROOT, "  %-24s the loss curve; %s holds the values%n", TrainCommand.LOSS_PNG,
                TrainCommand.LOSSES_CSV);
    }

    private static String describe(UNetConfig c) {
        String mults = Arrays.stream(c.channelMults()).mapToObj(Integer::toString).collect(Collectors.joining(", "));
        String attention = new TreeSet<>(c.attentionRes()).stream().map(r -> r + "x" + r).collect(Collectors.joining(", "));
        return "base " + c.baseChannels() + ", mults (" + mults + "), " + c.blocksPerLevel() + " block"
                + (c.blocksPerLevel() == 1 ? "" : "s") + " per level, attention at " + attention + ", for "
                + c.imageSize() + "x" + c.imageSize() + "x" + c.inChannels() + " images";
    }
}
