package org.minidiffusion.demos;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.minidiffusion.core.api.Rng;
import org.minidiffusion.core.api.Tensor;
import org.minidiffusion.io.Images;
import org.minidiffusion.io.Safetensors;
import org.minidiffusion.io.SafetensorsFile;
import org.minidiffusion.vae.AutoencoderKL;
import org.minidiffusion.vae.AutoencoderKLConfig;

/** The train-vae command, run in-process with the micro autoencoder on a few images for a few steps. */
class VaeTrainCommandTests {
    @TempDir
    Path dir;
    private Path data;

    /** Twelve training and six test images of the built-in split, 28x28, in a directory with both splits. */
    @BeforeEach
    void writeData() throws IOException {
        data = dir.resolve("data");
        DemoRun.writeIdx(data, "train", 12, 0);
        DemoRun.writeIdx(data, "t10k", 6, 100);
    }

    private DemoRun trainVae(Path out, String... more) {
        List<String> args = new ArrayList<>(List.of("train-vae", "--out", out.toString(), "--data", data.toString(),
                "--eval-images", "4", "--stats-images", "6"));
        args.addAll(List.of(more));
        return DemoRun.of(args.toArray(String[]::new));
    }

    @Test
    void aShortRunWritesACheckpointALogALossCurveAndALoadableAutoencoder() throws IOException {
        Path out = dir.resolve("run");
        DemoRun run = trainVae(out, "--size", "micro", "--steps", "3", "--batch", "2", "--seed", "5");
        assertEquals(0, run.code(), run.toString());
        assertTrue(DemoRun.files(out).containsAll(List.of(VaeTrainCommand.CHECKPOINT, VaeTrainCommand.LOSS_PNG,
                VaeTrainCommand.LOSSES_CSV, VaeTrainCommand.LOG, VaeTrainCommand.RUN_INFO, VaeTrainCommand.MODEL_DIR,
                VaeTrainCommand.RECONSTRUCTIONS)), run.toString());
        assertTrue(run.out().contains("step 3/3  loss "), "plain progress lines\n" + run);
        assertTrue(run.out().contains("latents 4x8x8"), "28x28 is padded to 32x32, a 4x8x8 latent\n" + run);
        assertTrue(run.out().contains("test reconstruction PSNR over 4 images: "), run.toString());
        String log = Files.readString(out.resolve(VaeTrainCommand.LOG));
        assertTrue(log.contains("step 3/3  loss ") && log.contains("test reconstruction PSNR over 4 images"), log);
        List<String> losses = Files.readAllLines(out.resolve(VaeTrainCommand.LOSSES_CSV));
        assertEquals(List.of("step,loss,mse,kl"), losses.subList(0, 1));
        assertEquals(4, losses.size(), losses.toString());
        assertEquals(4, losses.get(3).split(",").length, losses.toString());
        DemoRun.assertLossChart(out.resolve(VaeTrainCommand.LOSS_PNG), out.resolve(VaeTrainCommand.LOSSES_CSV),
                "train-vae: loss per step", VaeTrainCommand.LOSS_PLOT_WIDTH, VaeTrainCommand.LOSS_PLOT_HEIGHT);

        // diffusers' layout: config.json with the measured latent scaling, and the weights under its names
        Path model = out.resolve(VaeTrainCommand.MODEL_DIR);
        AutoencoderKLConfig config = AutoencoderKLConfig.fromJson(model.resolve(VaeTrainCommand.CONFIG_JSON));
        assertEquals(VaeSize.MICRO.config(32).withLatentScaling(config.scalingFactor(), config.shiftFactor()), config);
        assertNotEquals(1f, config.scalingFactor(), "the scaling was measured");
        SafetensorsFile weights = Safetensors.read(model.resolve(VaeTrainCommand.WEIGHTS));
        assertEquals("pt", weights.metadata().get("format"));
        assertEquals("3", weights.metadata().get("training_steps"));
        AutoencoderKL vae = new AutoencoderKL(config, new Rng(1));
        assertEquals(vae.parameters().keySet(), weights.tensors().keySet());
        vae.loadStateDict(weights.tensors());
        Map<String, Tensor> trained = checkpointWeights(out);
        weights.tensors().forEach((k, v) -> assertArrayEquals(trained.get(k).toArray(), v.toArray(), 0f, k));

        // the PSNR reported is the PSNR of the exported autoencoder, recomputed here by hand
        double psnr = Double.parseDouble(weights.metadata().get("test_psnr_db"));
        assertEquals(psnr, Double.parseDouble(number(run.out(), "test reconstruction PSNR over 4 images: ([0-9.]+) dB")),
                0.005);
        assertEquals(psnr, psnrByHand(vae, 4), 1e-3);

        Tensor grid = Images.readPng(out.resolve(VaeTrainCommand.RECONSTRUCTIONS));
        assertArrayEquals(new int[] {1, 2 * 30 + 2, 6 * 30 + 2}, grid.shape().toArray(),
                "the 6 test images above their reconstructions");
    }

    /** Four steps in one go equal two, an interruption and a resume for two more, bit for bit. */
    @Test
    void aResumedRunEqualsAnUninterruptedOneBitForBit() throws IOException {
        Path straight = dir.resolve("straight");
        Path resumed = dir.resolve("resumed");
        String[] plan = {"--size", "micro", "--steps", "4", "--batch", "3", "--lr", "0.003", "--beta", "0.01"};
        assertEquals(0, trainVae(straight, plan).code());
        List<String> stop = new ArrayList<>(List.of(plan));
        stop.addAll(List.of("--stop-after", "2"));
        DemoRun first = trainVae(resumed, stop.toArray(String[]::new));
        assertEquals(0, first.code(), first.toString());
        assertTrue(first.out().contains("stopped after step 2 of 4"), first.toString());
        assertFalse(Files.exists(resumed.resolve(VaeTrainCommand.MODEL_DIR)), "no export before the plan is done");
        DemoRun second = trainVae(resumed, "--resume");
        assertEquals(0, second.code(), second.toString());
        assertTrue(second.out().contains("resuming " + resumed.resolve(VaeTrainCommand.CHECKPOINT) + " at step 2 of 4"),
                second.toString());

        SafetensorsFile a = Safetensors.read(straight.resolve(VaeTrainCommand.CHECKPOINT));
        SafetensorsFile b = Safetensors.read(resumed.resolve(VaeTrainCommand.CHECKPOINT));
        assertEquals(a.metadata(), b.metadata());
        assertEquals(a.tensors().keySet(), b.tensors().keySet());
        a.tensors().forEach((k, v) -> assertArrayEquals(v.toArray(), b.tensors().get(k).toArray(), 0f, k));
        assertEquals(Files.readAllLines(straight.resolve(VaeTrainCommand.LOSSES_CSV)),
                Files.readAllLines(resumed.resolve(VaeTrainCommand.LOSSES_CSV)), "the loss, mse and kl of every step");
        Path weights = Path.of(VaeTrainCommand.MODEL_DIR, VaeTrainCommand.WEIGHTS);
        assertArrayEquals(Files.readAllBytes(straight.resolve(weights)), Files.readAllBytes(resumed.resolve(weights)),
                "the exported autoencoder");
        assertEquals(Files.readString(straight.resolve(VaeTrainCommand.MODEL_DIR).resolve(VaeTrainCommand.CONFIG_JSON)),
                Files.readString(resumed.resolve(VaeTrainCommand.MODEL_DIR).resolve(VaeTrainCommand.CONFIG_JSON)));
        String log = Files.readString(resumed.resolve(VaeTrainCommand.LOG));
        assertTrue(log.contains("resumed at step 2"), "the log of both sessions\n" + log);

        DemoRun again = trainVae(resumed, "--resume");
        assertEquals(0, again.code(), again.toString());
        assertTrue(again.out().contains("the run has done all its 4 steps; measuring and exporting it again"),
                again.toString());
        DemoRun shorter = trainVae(resumed, "--resume", "--steps", "3");
        assertEquals(1, shorter.code(), shorter.toString());
        assertTrue(shorter.err().startsWith("error: the run in " + resumed + " has already done 4 steps"),
                shorter.toString());
        DemoRun longer = DemoRun.of("train-vae", "--out", resumed.toString(), "--data", data.toString(), "--resume",
                "--steps", "5", "--eval-images", "0", "--stats-images", "3");
        assertEquals(0, longer.code(), longer.toString());
        assertTrue(longer.out().contains("step 5/5"), longer.toString());
        assertFalse(longer.out().contains("test reconstruction PSNR"), "--eval-images 0 measures nothing\n" + longer);
    }

    @Test
    void aNewRunDoesNotOverwriteAnExistingOne() throws IOException {
        Path out = dir.resolve("run");
        Files.createDirectories(out);
        Files.writeString(out.resolve(VaeTrainCommand.CHECKPOINT), "precious");
        DemoRun run = trainVae(out, "--size", "micro", "--steps", "2");
        assertEquals(1, run.code(), run.toString());
        assertTrue(run.err().contains("already holds a training run") && run.err().contains("--resume"), run.toString());
        assertEquals("precious", Files.readString(out.resolve(VaeTrainCommand.CHECKPOINT)));
        assertFalse(run.hasStackTrace(), run.toString());
    }

    @Test
    void aCheckpointWithANanWeightIsRefusedInOneLineAndLeftIntact() throws IOException {
        Path out = dir.resolve("run");
        assertEquals(0, trainVae(out, "--size", "micro", "--steps", "2", "--batch", "2", "--stop-after", "1").code());
        Path checkpoint = out.resolve(VaeTrainCommand.CHECKPOINT);
        SafetensorsFile f = Safetensors.read(checkpoint);
        Map<String, Tensor> poisoned = new LinkedHashMap<>(f.tensors());
        poisoned.put("model.decoder.conv_out.bias", poisoned.get("model.decoder.conv_out.bias").add(Float.NaN));
        Safetensors.write(checkpoint, poisoned, f.metadata());
        byte[] before = Files.readAllBytes(checkpoint);

        DemoRun run = trainVae(out, "--resume");
        assertEquals(1, run.code(), run.toString());
        assertEquals("error: " + checkpoint + " is not a usable autoencoder training checkpoint:"
                + " 'model.decoder.conv_out.bias' = '[0] = NaN': every stored value must be finite", run.err().strip());
        assertArrayEquals(before, Files.readAllBytes(checkpoint), "the checkpoint is left as it was");
    }

    @Test
    void badOptionsAreClearErrors() {
        assertUsage(DemoRun.of("train-vae", "--resume", "--beta", "0.1"),
                "error: --beta cannot be combined with --resume: the checkpoint fixes it");
        assertUsage(DemoRun.of("train-vae", "--size", "huge"), "error: --size of 'train-vae' must be one of base, micro,"
                + " small, tiny, got 'huge'");
        assertUsage(DemoRun.of("train-vae", "--beta", "-1"), "error: --beta of 'train-vae' needs a number in [0.0,"
                + " 1000000.0], got '-1'");
        assertUsage(DemoRun.of("train-vae", "--lr", "nan"), "error: --lr of 'train-vae' needs a number in (0, 1.0],"
                + " got 'nan'");
        assertUsage(DemoRun.of("train-vae", "--stats-images", "0"), "error: --stats-images of 'train-vae' needs an"
                + " integer in [1, 100000000], got '0'");
        assertUsage(DemoRun.of("train-vae", "--sample-every", "3"), "error: unknown option '--sample-every'");
    }

    @Test
    void dataWithoutATrainSplitIsAClearError() {
        DemoRun run = DemoRun.of("train-vae", "--out", dir.resolve("run").toString(), "--data", DemoRun.DATA.toString());
        assertEquals(1, run.code(), run.toString());
        assertTrue(run.err().startsWith("error: cannot find the images: " + DemoRun.DATA.resolve("train-images-idx3-ubyte.gz")
                + " does not exist; train-vae trains on the train split and measures PSNR on t10k"), run.toString());
        assertFalse(run.hasStackTrace(), run.toString());
    }

    @Test
    void errorsOfTheRunDirectory() {
        DemoRun none = trainVae(dir.resolve("empty"), "--resume");
        assertEquals(1, none.code(), none.toString());
        assertTrue(none.err().startsWith("error: --resume: there is no checkpoint "), none.toString());
        DemoRun big = trainVae(dir.resolve("big"), "--size", "micro", "--batch", "13");
        assertEquals(1, big.code(), big.toString());
        assertEquals("error: --batch 13 is larger than the training split (12 images)", big.err().strip());
    }

    @Test
    void imagesArePaddedToTheNextMultipleOfEight() {
        assertEquals(32, VaeTrainCommand.paddedSide(28));
        assertEquals(32, VaeTrainCommand.paddedSide(32));
        assertEquals(8, VaeTrainCommand.paddedSide(1));
        assertEquals(40, VaeTrainCommand.paddedSide(33));
    }

    private static void assertUsage(DemoRun run, String expected) {
        assertEquals(2, run.code(), run.toString());
        assertTrue(run.err().startsWith(expected), run.toString());
        assertFalse(run.hasStackTrace(), run.toString());
    }

    private static Map<String, Tensor> checkpointWeights(Path out) throws IOException {
        Map<String, Tensor> weights = new LinkedHashMap<>();
        Safetensors.read(out.resolve(VaeTrainCommand.CHECKPOINT)).tensors().forEach((k, v) -> {
            if (k.startsWith("model.")) {
                weights.put(k.substring("model.".length()), v);
            }
        });
        return weights;
    }

    /** The mean over the first n test images of 10 log10(1 / MSE), on the 28x28 pixels in [0, 1], by plain loops. */
    private double psnrByHand(AutoencoderKL vae, int n) throws IOException {
        var test = org.minidiffusion.io.FashionMnist.load(data, "t10k");
        double sum = 0;
        for (int i = 0; i < n; i++) {
            float[] x = test.image(i).toArray();                        // 28x28 in [-1, 1]
            float[] padded = new float[32 * 32];
            java.util.Arrays.fill(padded, -1f);
            for (int y = 0; y < 28; y++) {
                System.arraycopy(x, y * 28, padded, (y + 2) * 32 + 2, 28);
            }
            float[] r = vae.forward(Tensor.of(padded, 1, 1, 32, 32)).toArray();
            double se = 0;
            for (int y = 0; y < 28; y++) {
                for (int c = 0; c < 28; c++) {
                    double want = (x[y * 28 + c] + 1) / 2;
                    double got = Math.min(1, Math.max(0, (r[(y + 2) * 32 + c + 2] + 1) / 2));
                    se += (want - got) * (want - got);
                }
            }
            sum += 10 * Math.log10(1 / (se / 784));
        }
        return sum / n;
    }

    private static String number(String text, String regex) {
        Matcher m = Pattern.compile(regex).matcher(text);
        assertTrue(m.find(), regex + " in\n" + text);
        return m.group(1);
    }
}
