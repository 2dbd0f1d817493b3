package org.minidiffusion.demos;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.minidiffusion.io.AtomicFiles;
import org.minidiffusion.io.FashionMnist;
import org.minidiffusion.text.caption.Captioner;
import org.minidiffusion.text.caption.FashionClass;
import org.minidiffusion.text.caption.Split;
import org.minidiffusion.text.caption.Tone;

/**
 * {@code captions}: captions every image of a Fashion-MNIST split from its class and its measured
 * tone, with the training phrasings, and writes one caption per line (line {@code i} for image
 * {@code i}), the same file for the same split and seed.
 */
final class CaptionsCommand {
    /** The default seed. */
    static final long DEFAULT_SEED = 0;
    /** The command line of {@code captions}. */
    static final CliCommand COMMAND = CliCommand.named("captions",
                    "Caption every image of a Fashion-MNIST split from its class and the tone measured on its pixels.")
            .details("Writes one caption per line, in image order, with the training phrasings, and prints the"
                    + " share of each tone (dark, light or none) per class.")
            .option("split", "train|t10k", "the split (default: train)")
            .option("data", "DIR", "the Fashion-MNIST files (default: " + FashionMnist.SYSTEM_DIR + " for train, "
                    + FashionMnist.DEFAULT_DIR + " for t10k)")
            .option("seed", "N", "the seed of the phrasing chosen for each image (default: " + DEFAULT_SEED + ")")
            .option("out", "FILE", "the captions file (default: runs/captions/<split>.txt)")
            .build();

    private CaptionsCommand() {
    }

    /**
     * Runs the command.
     *
     * @param o   the parsed options
     * @param out where the summary goes
     * @throws IOException if the dataset cannot be read or the corpus cannot be written
     */
    static void run(Options o, PrintStream out) throws IOException {
        String split = o.choice("split", FashionMnist.TRAIN_SPLIT, Set.of(FashionMnist.TRAIN_SPLIT, FashionMnist.TEST_SPLIT));
        Path data = o.path("data", split.equals(FashionMnist.TRAIN_SPLIT) ? FashionMnist.SYSTEM_DIR : FashionMnist.DEFAULT_DIR);
        long seed = o.longValue("seed", DEFAULT_SEED);
        Path file = o.path("out", Path.of("runs", "captions", split + ".txt"));

        FashionMnist images;
        try {
            images = FashionMnist.load(data, split);
        } catch (NoSuchFileException e) {
            throw new DemoException("cannot find the " + split + " split: " + e.getFile() + " does not exist; pass --data"
                    + " <dir> holding " + split + "-images-idx3-ubyte(.gz) and " + split + "-labels-idx1-ubyte(.gz)"
                    + " (Debian's dataset-fashion-mnist package installs both splits in " + FashionMnist.SYSTEM_DIR
                    + "; the repository has t10k in " + FashionMnist.DEFAULT_DIR + ")", e);
        }
        if (images.height() != 28 || images.width() != 28) {
            throw new DemoException(data + ": the " + split + " images are " + images.height() + " x " + images.width()
                    + " pixels; the tone is measured on 28 x 28 Fashion-MNIST images");
        }
        int n = images.size();
        int[] labels = images.labels();
        Tone[] tones = new Tone[n];
        int[][] counts = new int[FashionClass.values().length][Tone.values().length];
        for (int i = 0; i < n; i++) {
            tones[i] = Tone.measure(labels[i], images.unitPixels(i));
            counts[labels[i]][tones[i].ordinal()]++;
        }
        List<String> captions = Captioner.captionAll(labels, tones, Split.TRAINING, seed);
        StringBuilder text = new StringBuilder(n * 32);
        for (String c : captions) {
            text.append(c).append('\n');
        }
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        AtomicFiles.write(file, text.toString().getBytes(StandardCharsets.UTF_8));

        out.printf(Locale.ROOT, "captioned the %,d images of %s (%s) with seed %d: %s%n", n, split, data, seed, file);
        out.println(toneTable(counts));
        out.println("first captions: " + String.join(" | ", captions.subList(0, Math.min(3, n))));
    }

    /** The share of each tone per class, as a Markdown table. */
    static String toneTable(int[][] counts) {
        StringBuilder b = new StringBuilder();
        String nl = System.lineSeparator();
        b.append("| class | images | dark | light | none | dark below | light from |").append(nl);
        b.append("|---|---|---|---|---|---|---|").append(nl);
        for (FashionClass c : FashionClass.values()) {
            int[] k = counts[c.label()];
            int total = k[0] + k[1] + k[2];
            b.append(String.format(Locale.ROOT, "| %d %s | %,d | %s | %s | %s | %.3f | %.3f |", c.label(), c.datasetName(),
                    total, share(k[Tone.DARK.ordinal()], total), share(k[Tone.LIGHT.ordinal()], total),
                    share(k[Tone.NONE.ordinal()], total), Tone.darkBelow(c.label()), Tone.lightFrom(c.label()))).append(nl);
        }
        return b.toString().stripTrailing();
    }

    private static String share(int k, int total) {
        return total == 0 ? "-" : String.format(Locale.ROOT, "%.1f%%", 100.0 * k / total);
    }
}
