package org.minidiffusion.demos;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.minidiffusion.io.FileFormatException;

/** The run directory shared by the training commands: run.properties, losses.csv, loss.png and the resume checks. */
class TrainingRunTests {
    private static final double NAN = Double.NaN;

    @TempDir
    Path dir;

    private TrainingRun run(boolean resume, LossTable table) {
        return new TrainingRun(dir, resume, "CLIP training run", "t: loss per step", table);
    }

    private void checkpoint() throws IOException {
        Files.writeString(dir.resolve(TrainingRun.CHECKPOINT), "weights");
    }

    @Test
    void aRecordedValueThatDiffersIsAnErrorWithBothValues() throws IOException {
        run(false, LossTable.LOSS).record("test run", Map.of("images", "60000", "data", "/data"));
        checkpoint();
        TrainingRun resumed = run(true, LossTable.LOSS);
        assertEquals("60000", resumed.recordedRun("", List.of()).getProperty("images"));
        DemoException e = assertThrows(DemoException.class, () -> resumed.requireSame("images", "10000",
                (recorded, now) -> "images: recorded " + recorded + ", now " + now));
        assertEquals("images: recorded 60000, now 10000", e.getMessage());
        resumed.requireSame("images", "60000", (recorded, now) -> "unexpected");
        resumed.requireSame("split", "t10k", (recorded, now) -> "unexpected: 'split' was not recorded");
    }

    @Test
    void theRecordedRunIsWrittenAsPropertiesAndReadBack() throws IOException {
        run(false, LossTable.LOSS).record("mini-diffusion test run", Map.of("data", "a b=c", "context", "16"));
        String text = Files.readString(dir.resolve(TrainingRun.RUN_INFO));
        assertTrue(text.startsWith("#mini-diffusion test run"), text);
        assertTrue(text.contains("context=16"), text);
        checkpoint();
        TrainingRun resumed = run(true, LossTable.LOSS);
        resumed.recordedRun("the data", List.of("data", "context"));
        assertEquals("a b=c", resumed.recorded().getProperty("data"));
        assertEquals(16, resumed.recordedInt("context"));
    }

    @Test
    void aNewRunRefusesADirectoryWithACheckpointAndAResumeNeedsOne() throws IOException {
        DemoException none = assertThrows(DemoException.class, () -> run(true, LossTable.LOSS).recordedRun(""));
        assertEquals("--resume: there is no checkpoint " + dir.resolve(TrainingRun.CHECKPOINT)
                + " to continue from; start a new run without --resume", none.getMessage());
        assertTrue(run(false, LossTable.LOSS).recordedRun("").isEmpty());
        checkpoint();
        DemoException exists = assertThrows(DemoException.class, () -> run(false, LossTable.LOSS).recordedRun(""));
        assertEquals(dir + " already holds a CLIP training run (" + dir.resolve(TrainingRun.CHECKPOINT) + "); continue"
                + " it with --resume (and --steps to extend it), or pass another --out", exists.getMessage());
        assertTrue(run(true, LossTable.LOSS).recordedRun("").isEmpty(), "an optional run.properties may be missing");
    }

    @Test
    void aRequiredRunDescriptionMustExistAndHaveItsKeys() throws IOException {
        checkpoint();
        Path info = dir.resolve(TrainingRun.RUN_INFO);
        DemoException missing = assertThrows(DemoException.class,
                () -> run(true, LossTable.LOSS).recordedRun("the data and tokenizer", List.of("data")));
        assertEquals("--resume: " + info + " is missing; it records the data and tokenizer of the run, which a resumed"
                + " run must use again", missing.getMessage());
        Files.writeString(info, "data=/d\n");
        FileFormatException lacks = assertThrows(FileFormatException.class,
                () -> run(true, LossTable.LOSS).recordedRun("the data", List.of("data", "holdout")));
        assertEquals(info + ": lacks the key 'holdout' of a CLIP training run", lacks.getMessage());
        Files.writeString(info, "data=/d\nholdout=-3\n");
        TrainingRun resumed = run(true, LossTable.LOSS);
        resumed.recordedRun("the data", List.of("data", "holdout"));
        FileFormatException negative = assertThrows(FileFormatException.class, () -> resumed.recordedInt("holdout"));
        assertEquals(info + ": the key 'holdout' is '-3', not a whole number >= 0", negative.getMessage());
    }

    @Test
    void aDamagedRunDescriptionNamesTheFileAndWhatToDo() throws IOException {
        checkpoint();
        Path info = dir.resolve(TrainingRun.RUN_INFO);
        Files.writeString(info, "data=\\u00zz\n");
        FileFormatException e = assertThrows(FileFormatException.class,
                () -> run(true, LossTable.LOSS).recordedRun("; delete it and resume with --data"));
        assertTrue(e.getMessage().startsWith(info + ": is not a properties file of a CLIP training run ("),
                e.getMessage());
        assertTrue(e.getMessage().endsWith("); delete it and resume with --data"), e.getMessage());
    }

    @Test
    void optionsTheCheckpointFixesAreRejectedOnlyWithResume() {
        Options resumed = new Options("train", Map.of("lr", "0.1", "steps", "9"), Set.of("resume"));
        UsageException e = assertThrows(UsageException.class,
                () -> TrainingRun.rejectFixed(resumed, List.of("batch", "lr", "seed"), "checkpoint"));
        assertEquals("--lr cannot be combined with --resume: the checkpoint fixes it", e.getMessage());
        TrainingRun.rejectFixed(resumed, List.of("batch", "seed"), "checkpoint");
        TrainingRun.rejectFixed(new Options("train", Map.of("lr", "0.1"), Set.of()), List.of("lr"), "checkpoint");
    }

    @Test
    void theLossTableRoundTripsWithEmptyCellsForUnknownValues() throws IOException {
        TrainingRun run = run(false, LossTable.LOSS);
        double[][] losses = {{0.5, NAN, 0.25, 0.125}};
        run.writeLosses(losses, 3);
        assertEquals("step,loss\n1,0.5\n2,\n3,0.25\n", Files.readString(dir.resolve(TrainingRun.LOSSES_CSV)));
        double[][] read = run.losses(5, 3);
        assertArrayEquals(new double[] {0.5, NAN, 0.25, NAN, NAN}, read[0]);
        assertArrayEquals(new double[] {0.5, NAN, NAN, NAN, NAN}, run.losses(5, 1)[0], "only the steps done");
        assertArrayEquals(new double[] {NAN, NAN, NAN}, run.losses(3, 0)[0], "a new run reads nothing");
    }

    @Test
    void aTableOfSeveralColumnsRoundTripsAndSkipsDamagedLines() throws IOException {
        LossTable table = new LossTable("step,loss,mse,kl", false);
        assertEquals(3, table.columns());
        TrainingRun run = run(false, table);
        run.writeLosses(new double[][] {{1.5, 2.5}, {0.5, NAN}, {7, 8}}, 2);
        Path csv = dir.resolve(TrainingRun.LOSSES_CSV);
        assertEquals("step,loss,mse,kl\n1,1.5,0.5,7.0\n2,2.5,,8.0\n", Files.readString(csv));
        Files.writeString(csv, Files.readString(csv) + "3,1,2\nx,1,2,3\n4,9,9,9\n", StandardCharsets.UTF_8);
        double[][] read = run.losses(4, 4);
        assertArrayEquals(new double[] {1.5, 2.5, NAN, 9}, read[0]);
        assertArrayEquals(new double[] {0.5, NAN, NAN, 9}, read[1]);
        assertArrayEquals(new double[] {7, 8, NAN, 9}, read[2]);
    }

    @Test
    void aLossTableThatIsNotTextNamesTheFileAndTheLineOrTheFileAlone() throws IOException {
        Path csv = dir.resolve(TrainingRun.LOSSES_CSV);
        Files.write(csv, new byte[] {'s', 't', 'e', 'p', ',', 'l', 'o', 's', 's', '\n', '1', ',', (byte) 0xff, '\n'});
        FileFormatException withLine = assertThrows(FileFormatException.class, () -> run(true, LossTable.LOSS).losses(2, 1));
        assertEquals(csv + ": line 2 is not UTF-8 text; this file holds the loss of each step as 'step,loss' lines:"
                + " restore it, or delete it to resume without the earlier losses in loss.png", withLine.getMessage());
        FileFormatException fileOnly = assertThrows(FileFormatException.class,
                () -> run(true, new LossTable("step,loss,mse,kl", false)).losses(2, 1));
        assertEquals(csv + ": is not UTF-8 text; this file holds the loss of each step as 'step,loss,mse,kl' lines:"
                + " restore it, or delete it to resume without the earlier losses in loss.png", fileOnly.getMessage());
    }

    @Test
    void theLossChartIsDrawnOnlyWithAFiniteLoss() throws IOException {
        TrainingRun run = run(false, LossTable.LOSS);
        Path png = dir.resolve(TrainingRun.LOSS_PNG);
        run.plotLosses(new double[] {NAN, NAN, 0.3}, 2);
        assertFalse(Files.exists(png), "steps 1 and 2 have no loss");
        run.saveLosses(new double[][] {{NAN, 0.4, 0.3}}, 2);
        assertTrue(Files.size(png) > 0);
        assertEquals("step,loss\n1,\n2,0.4\n", Files.readString(dir.resolve(TrainingRun.LOSSES_CSV)));
    }

    @Test
    void aResumedRunNeedsStepsLeftUnlessItCanFinishAgain() {
        TrainingRun run = run(true, LossTable.LOSS);
        run.checkSteps(3, 5, 0, null);
        run.checkSteps(3, 8, 8, null);
        DemoException fewer = assertThrows(DemoException.class, () -> run.checkSteps(3, 5, 3, null));
        assertEquals("the run in " + dir + " has already done 3 steps; pass --steps greater than 3 to train further",
                fewer.getMessage());
        DemoException finished = assertThrows(DemoException.class, () -> run.checkSteps(5, 5, 0, null));
        assertEquals("the run in " + dir + " has finished its 5 steps; pass --steps greater than 5 to train further",
                finished.getMessage());
        run.checkSteps(5, 5, 0, "export it again");
        DemoException again = assertThrows(DemoException.class, () -> run.checkSteps(5, 5, 4, "export it again"));
        assertEquals("the run in " + dir + " has already done 5 steps; pass --steps greater than 5 to train further,"
                + " or no --steps to export it again", again.getMessage());
    }

    @Test
    void stopAfterEndsTheSessionWithinThePlan() {
        assertEquals(10, TrainingRun.endStep(0, 10, 0));
        assertEquals(10, TrainingRun.endStep(10, 10, 0), "a finished run without --stop-after");
        assertEquals(5, TrainingRun.endStep(3, 10, 5));
        assertEquals(10, TrainingRun.endStep(3, 10, 20));
        DemoException e = assertThrows(DemoException.class, () -> TrainingRun.endStep(5, 10, 5));
        assertEquals("--stop-after 5: the run has already done 5 steps", e.getMessage());
        assertThrows(DemoException.class, () -> TrainingRun.endStep(10, 10, 20));
    }

    @Test
    void theResumeAndStopLinesNameTheCheckpointAndTheCommandLine() {
        TrainingRun run = run(true, LossTable.LOSS);
        assertEquals("resuming " + dir.resolve("checkpoint.safetensors") + " at step 3 of 5", run.resuming(3, 5));
        assertEquals("stopped after step 2 of 4 as --stop-after asked; continue with: train-vae --resume --out " + dir,
                run.stopped("train-vae", 2, 4));
    }
}
