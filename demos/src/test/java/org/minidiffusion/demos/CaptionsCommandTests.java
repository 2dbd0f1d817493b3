package org.minidiffusion.demos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.minidiffusion.io.FashionMnist;
import org.minidiffusion.text.caption.Captioner;
import org.minidiffusion.text.caption.Split;
import org.minidiffusion.text.caption.Tone;

/** The captions command: one caption per image, deterministic by seed, and the tone shares it reports. */
class CaptionsCommandTests {
    @TempDir
    Path dir;

    @Test
    void captionsEveryImageOfTheSplitInOrder() throws IOException {
        Path file = dir.resolve("sub/t10k.txt");
        DemoRun run = DemoRun.of("captions", "--split", "t10k", "--data", DemoRun.DATA.toString(), "--out", file.toString());
        assertEquals(0, run.code(), run.toString());
        List<String> lines = Files.readAllLines(file);
        FashionMnist data = FashionMnist.load(DemoRun.DATA, FashionMnist.TEST_SPLIT);
        assertEquals(data.size(), lines.size());
        for (int i = 0; i < lines.size(); i += 7) {
            int label = data.label(i);
            Tone tone = Tone.measure(label, data.unitPixels(i));
            assertTrue(Captioner.captions(label, tone, Split.TRAINING).contains(lines.get(i)),
                    "line " + i + " \"" + lines.get(i) + "\" is not a training caption of class " + label + ", " + tone);
        }
        assertTrue(run.out().startsWith("captioned the 10,000 images of t10k"), run.toString());
        assertTrue(run.out().contains("| 7 Sneaker | 1,000 | 32.6% | 32.4% | 35.0% | 0.534 | 0.634 |"), run.toString());
        assertFalse(Files.list(file.getParent()).anyMatch(p -> p.getFileName().toString().endsWith(".tmp")));

        // The same seed gives the same file; another seed, another one.
        Path again = dir.resolve("again.txt");
        assertEquals(0, DemoRun.of("captions", "--split", "t10k", "--data", DemoRun.DATA.toString(), "--out",
                again.toString()).code());
        assertEquals(Files.readString(file), Files.readString(again));
        Path seeded = dir.resolve("seeded.txt");
        assertEquals(0, DemoRun.of("captions", "--split", "t10k", "--data", DemoRun.DATA.toString(), "--seed", "3",
                "--out", seeded.toString()).code());
        assertNotEquals(Files.readString(file), Files.readString(seeded));
    }

    @Test
    void theTrainingSplitHasAThirdOfEachToneInEveryClass() throws IOException {
        Assumptions.assumeTrue(Files.exists(FashionMnist.SYSTEM_DIR.resolve("train-images-idx3-ubyte.gz")),
                "the training split is not installed (apt-get install dataset-fashion-mnist)");
        FashionMnist train = FashionMnist.load(FashionMnist.SYSTEM_DIR, FashionMnist.TRAIN_SPLIT);
        int[][] counts = new int[10][3];
        for (int i = 0; i < train.size(); i++) {
            counts[train.label(i)][Tone.measure(train.label(i), train.unitPixels(i)).ordinal()]++;
        }
        // The thresholds are the tertiles of each class, rounded to three decimals: 2,000 +- 40 of each.
        for (int c = 0; c < 10; c++) {
            for (Tone t : Tone.values()) {
                int k = counts[c][t.ordinal()];
                assertTrue(Math.abs(k - 2000) <= 40, "class " + c + ", " + t + ": " + k + " of 6,000");
            }
        }
        assertTrue(CaptionsCommand.toneTable(counts).contains("| 1 Trouser | 6,000 | 33.3% | 33.5% | 33.2% | 0.631 | 0.751 |"),
                CaptionsCommand.toneTable(counts));
    }

    @Test
    void aMissingSplitIsAOneLineErrorThatSaysWhereToGetIt() {
        Path missing = dir.resolve("nothing-here");
        DemoRun run = DemoRun.of("captions", "--data", missing.toString(), "--out", dir.resolve("c.txt").toString());
        assertEquals(1, run.code(), run.toString());
        assertEquals("error: cannot find the train split: " + missing.resolve("train-images-idx3-ubyte.gz")
                + " does not exist; pass --data <dir> holding train-images-idx3-ubyte(.gz) and train-labels-idx1-ubyte(.gz)"
                + " (Debian's dataset-fashion-mnist package installs both splits in " + FashionMnist.SYSTEM_DIR
                + "; the repository has t10k in " + FashionMnist.DEFAULT_DIR + ")" + System.lineSeparator(), run.err());
        assertFalse(Files.exists(dir.resolve("c.txt")));

        DemoRun bad = DemoRun.of("captions", "--split", "validation");
        assertEquals(2, bad.code(), bad.toString());
        assertEquals("error: --split of 'captions' must be one of t10k, train, got 'validation' (see 'minidiffusion captions --help')"
                + System.lineSeparator(), bad.err());
        assertFalse(bad.hasStackTrace());
    }
}
