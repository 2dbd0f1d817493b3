package org.minidiffusion.diffusion.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.minidiffusion.core.api.Backend;
import org.minidiffusion.core.api.Backends;
import org.minidiffusion.core.api.Rng;
import org.minidiffusion.core.api.Tensor;
import org.minidiffusion.diffusion.BetaSchedule;
import org.minidiffusion.diffusion.InvalidFieldException;
import org.minidiffusion.diffusion.MetadataReader;
import org.minidiffusion.diffusion.PredictionType;
import org.minidiffusion.diffusion.unet.UNet;
import org.minidiffusion.diffusion.unet.UNetConfig;
import org.minidiffusion.io.FileFormatException;
import org.minidiffusion.io.Safetensors;
import org.minidiffusion.io.SafetensorsFile;

/**
 * A seeded, bounded fuzz of the checkpoint loader ({@link Trainer#resume}) and the model loader
 * ({@link UNetConfig#fromMetadata(Map, String)}, {@link MetadataReader}, {@link UNet#fromWeights},
 * as a model file is read): valid files with one to three mutations of metadata values, tensor
 * shapes, missing or extra tensors, and NaN or infinite values. The only outcomes allowed are a
 * load (after which a checkpoint must also train one step, or stop with
 * {@link TrainingDivergedException}), an {@link InvalidFieldException} or a
 * {@link FileFormatException}; anything else, an {@link OutOfMemoryError} included, fails.
 *
 * <p>{@code mvn verify} runs {@value #DEFAULT_CHECKPOINT_INPUTS} checkpoints and
 * {@value #DEFAULT_MODEL_INPUTS} model files; run longer with
 * {@code -Dminidiffusion.fuzz.iterations=5000 -Dminidiffusion.fuzz.seed=7} (the properties io's
 * {@code ReaderFuzzTests} reads too), for example
 * {@code mvn -B verify -pl modules/diffusion -am -Dsurefire.failIfNoSpecifiedTests=false
 * -Dtest=LoaderFuzzTests -Dminidiffusion.fuzz.iterations=5000}.
 */
class LoaderFuzzTests {
    /** Inputs per loader in a normal build; resuming and training a step costs more than a model load. */
    static final int DEFAULT_CHECKPOINT_INPUTS = 80;
    static final int DEFAULT_MODEL_INPUTS = 200;
    private static final Backend SCALAR = Backends.get("scalar");
    private static final Integer INPUTS = Integer.getInteger("minidiffusion.fuzz.iterations");
    private static final long SEED = Long.getLong("minidiffusion.fuzz.seed", 20261202L);

    /** Values that once crashed a loader, or sit on an edge of a range. */
    private static final String[] VALUES = {"", " ", "0", "-0", "1", "2", "3", "4", "7", "-1", "-5", "16", "64",
        "NaN", "Infinity", "-Infinity", "1e9", "2e9", "2000000000", "2147483647", "2147483648", "-2147483649",
        "9223372036854775808", "0.5", "1.0", "0.999999", "1.5", "3e38", "abc", "1,2", "1,,2", ",", "1,2,2,2,2,2,2,2,2",
        "0x10", "4096", "8192", "100000", "100001", "epsilon", "sample", "linear", "v_prediction", "cosine",
        "\u0000", "1 2", "+3", "07", "1_000"};

    @TempDir
    Path dir;

    /** What each input did. */
    private static final class Outcomes {
        final Map<String, Integer> counts = new TreeMap<>();
        final List<String> crashes = new ArrayList<>();

        void add(String outcome) {
            counts.merge(outcome, 1, Integer::sum);
        }
    }

    @Test
    void theCheckpointLoaderRaisesOnlyItsDocumentedExceptions() throws IOException {
        Path seed = dir.resolve("seed.safetensors");
        SCALAR.run(() -> {
            Trainer t = new Trainer(TinySetup.unet(3), TinySetup.config(6), TinySetup.data());
            t.step();
            t.step();
            try {
                CheckpointFiles.save(t, seed);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        Outcomes outcomes = fuzz(seed, INPUTS != null ? INPUTS : DEFAULT_CHECKPOINT_INPUTS, file -> {
            Trainer trainer = CheckpointFiles.resume(file, TinySetup.data(), 0);
            try {
                trainer.step();
                return "loaded and trained a step";
            } catch (TrainingDivergedException e) {
                return "loaded, then the loss diverged";
            }
        });
        report("checkpoint", outcomes, INPUTS != null ? INPUTS : DEFAULT_CHECKPOINT_INPUTS);
    }

    @Test
    void theModelLoaderRaisesOnlyItsDocumentedExceptions() throws IOException {
        Path seed = dir.resolve("model.safetensors");
        UNet unet = new UNet(TinySetup.CONFIG, new Rng(4));
        Map<String, String> meta = new LinkedHashMap<>(TinySetup.CONFIG.toMetadata());
        meta.putAll(TinySetup.config(6).toMetadata());
        meta.put("completed_steps", "6");
        meta.put("format", "mini-diffusion model");
        Safetensors.write(seed, unet.stateDict(), meta);
        Outcomes outcomes = fuzz(seed, INPUTS != null ? INPUTS : DEFAULT_MODEL_INPUTS, file -> {
            SafetensorsFile f = Safetensors.read(file);
            String source = file.toString();
            MetadataReader r = new MetadataReader(f.metadata(), source);
            UNetConfig config = UNetConfig.fromMetadata(f.metadata(), source);
            r.enumValue("prediction_type", PredictionType.class);
            r.enumValue("beta_schedule", BetaSchedule.class);
            r.intIn("train_timesteps", 2, TrainConfig.MAX_TRAIN_TIMESTEPS);
            UNet.fromWeights(config, f.tensors(), source);
            return "loaded";
        });
        report("model", outcomes, INPUTS != null ? INPUTS : DEFAULT_MODEL_INPUTS);
    }

    /** A loader under test: returns how the input went, or throws. */
    @FunctionalInterface
    private interface Loader {
        String load(Path file) throws IOException;
    }

    private Outcomes fuzz(Path seed, int inputs, Loader loader) throws IOException {
        SafetensorsFile original = Safetensors.read(seed);
        Random random = new Random(SEED);
        Outcomes outcomes = new Outcomes();
        for (int i = 0; i < inputs; i++) {
            Map<String, String> meta = new LinkedHashMap<>(original.metadata());
            Map<String, Tensor> tensors = new LinkedHashMap<>(original.tensors());
            List<String> what = new ArrayList<>();
            int mutations = 1 + random.nextInt(3);
            for (int m = 0; m < mutations; m++) {
                what.add(random.nextInt(5) < 3 ? mutateMetadata(meta, random) : mutateTensors(tensors, random));
            }
            Path file = dir.resolve("input.safetensors");
            Safetensors.write(file, tensors, meta);
            String input = "input " + i + " " + what;
            try {
                outcomes.add(SCALAR.call(() -> {
                    try {
                        return loader.load(file);
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                }));
            } catch (InvalidFieldException e) {
                assertTrue(e.getMessage().startsWith(file.toString() + ": '") && !e.getMessage().contains("\n"),
                        input + ": " + e.getMessage());
                outcomes.add("InvalidFieldException");
            } catch (UncheckedIOException e) {
                if (e.getCause() instanceof FileFormatException) {
                    outcomes.add("FileFormatException");
                } else {
                    outcomes.add("crash");
                    outcomes.crashes.add(input + ": " + e.getCause());
                }
            } catch (OutOfMemoryError e) {
                outcomes.add("OutOfMemoryError");
                outcomes.crashes.add(input + ": " + e);
            } catch (RuntimeException e) {
                outcomes.add("crash");
                outcomes.crashes.add(input + ": " + e);
            }
        }
        return outcomes;
    }

    private static String mutateMetadata(Map<String, String> meta, Random random) {
        List<String> keys = new ArrayList<>(meta.keySet());
        String key = keys.get(random.nextInt(keys.size()));
        int kind = random.nextInt(10);
        if (kind == 0) {
            meta.remove(key);
            return "remove " + key;
        }
        String value;
        if (kind <= 6) {
            value = VALUES[random.nextInt(VALUES.length)];
        } else if (kind == 7) {
            value = Integer.toString(random.nextInt(200) - 50);
        } else if (kind == 8) {
            value = Float.toString(random.nextFloat() * 4 - 1);
        } else {
            value = meta.get(keys.get(random.nextInt(keys.size())));
            value = value == null ? "" : value;
        }
        meta.put(key, value);
        return key + "=" + value.replace("\u0000", "\\0");
    }

    private static String mutateTensors(Map<String, Tensor> tensors, Random random) {
        List<String> names = new ArrayList<>(tensors.keySet());
        String name = names.get(random.nextInt(names.size()));
        Tensor t = tensors.get(name);
        int[] shape = t.shape().toArray();
        switch (random.nextInt(8)) {
            case 0 -> {
                tensors.remove(name);
                return "remove " + name;
            }
            case 1 -> {
                tensors.put(name, Tensor.zeros(1));
                return name + " shape (1)";
            }
            case 2 -> {
                tensors.put(name, Tensor.zeros(3));
                return name + " shape (3)";
            }
            case 3 -> {
                int[] bigger = shape.length == 0 ? new int[] {2} : shape.clone();
                if (shape.length > 0) {
                    bigger[random.nextInt(bigger.length)]++;
                }
                tensors.put(name, Tensor.zeros(bigger));
                return name + " shape " + Arrays.toString(bigger);
            }
            case 4 -> {
                int[] flat = {t.shape().numel()};
                tensors.put(name, t.reshape(flat));
                return name + " flattened";
            }
            case 5 -> {
                tensors.put(name.contains(".") ? name.substring(0, name.indexOf('.') + 1) + "extra.weight" : "extra",
                        Tensor.zeros(2, 2));
                return "extra tensor";
            }
            default -> {
                float[] v = t.toArray();
                if (v.length == 0) {
                    return "empty " + name;
                }
                float[] poison = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, -1f, 3e38f};
                float p = poison[random.nextInt(poison.length)];
                v[random.nextInt(v.length)] = p;
                tensors.put(name, Tensor.of(v, shape));
                return name + " holds " + p;
            }
        }
    }

    private static void report(String loader, Outcomes outcomes, int inputs) {
        System.out.printf(Locale.ROOT, "fuzz %s loader: %d inputs (seed %d): %s%n", loader, inputs, SEED, outcomes.counts);
        outcomes.crashes.stream().limit(20).forEach(c -> System.out.println("  crash: " + c));
        assertEquals(List.of(), outcomes.crashes, loader + " loader: inputs that raised an undocumented exception");
    }
}
