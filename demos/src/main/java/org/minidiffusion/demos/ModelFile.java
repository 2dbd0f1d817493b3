package org.minidiffusion.demos;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.minidiffusion.core.api.Autograd;
import org.minidiffusion.core.api.Parameterized;
import org.minidiffusion.core.api.Tensor;
import org.minidiffusion.diffusion.BetaSchedule;
import org.minidiffusion.diffusion.InvalidFieldException;
import org.minidiffusion.diffusion.MetadataReader;
import org.minidiffusion.diffusion.NoiseSchedule;
import org.minidiffusion.diffusion.PredictionType;
import org.minidiffusion.diffusion.train.TrainConfig;
import org.minidiffusion.diffusion.unet.UNet;
import org.minidiffusion.diffusion.unet.UNetConfig;
import org.minidiffusion.io.Safetensors;
import org.minidiffusion.io.SafetensorsFile;

/**
 * The model file that {@code train} writes and {@code generate} loads: a safetensors file holding
 * only the U-Net's (EMA) weights, under their state-dict names, with everything needed to sample
 * from it in the metadata.
 *
 * <p>The metadata holds {@code format = "mini-diffusion model"}, the U-Net architecture
 * ({@link UNetConfig#toMetadata()}), the training settings ({@link TrainConfig#toMetadata()},
 * which include {@code prediction_type}, {@code beta_schedule} and {@code train_timesteps}),
 * {@code completed_steps}, and free-form extras such as the data set and {@code class_names}.
 * Reading needs only the architecture, the prediction type and the schedule.
 *
 * <p>{@link #read} also accepts a training checkpoint ({@code checkpoint.safetensors}) and takes
 * its EMA weights.
 */
final class ModelFile {
    /** The metadata key naming the kind of file. */
    static final String FORMAT_KEY = "format";
    /** The {@link #FORMAT_KEY} value of a model file. */
    static final String FORMAT = "mini-diffusion model";
    /** The {@link #FORMAT_KEY} value of a training checkpoint written by {@code Trainer.save}. */
    static final String CHECKPOINT_FORMAT = "mini-diffusion training checkpoint";
    /** The metadata key of the number of training steps behind the weights. */
    static final String COMPLETED_STEPS = "completed_steps";
    /** The metadata key of the class names, separated by commas, in label order. */
    static final String CLASS_NAMES = "class_names";

    private static final String PREDICTION = "prediction_type";
    private static final String BETA_SCHEDULE = "beta_schedule";
    private static final String TRAIN_TIMESTEPS = "train_timesteps";
    private static final String EMA_PREFIX = "ema.";

    private ModelFile() {
    }

    /**
     * A model read from a file, ready to sample from.
     *
     * @param file           the file it came from
     * @param unet           the network, in evaluation mode, on the current backend
     * @param prediction     what the network predicts
     * @param betaSchedule   the noise schedule it was trained with
     * @param trainTimesteps T, the number of diffusion steps of that schedule
     * @param metadata       all of the file's metadata
     */
    record Model(Path file, UNet unet, PredictionType prediction, BetaSchedule betaSchedule, int trainTimesteps,
                 Map<String, String> metadata) {
        /**
         * Returns the noise schedule the network was trained with.
         *
         * @return the schedule
         */
        NoiseSchedule schedule() {
            return NoiseSchedule.of(betaSchedule, trainTimesteps);
        }

        /**
         * Returns the number of training steps behind the weights.
         *
         * @return the steps, or −1 if the file does not say
         */
        long completedSteps() {
            try {
                return Long.parseLong(metadata.getOrDefault(COMPLETED_STEPS, "-1").trim());
            } catch (NumberFormatException e) {
                return -1;
            }
        }

        /**
         * Returns the class names stored in the file, or label numbers if it has none.
         *
         * @return one name per class of the network
         */
        List<String> classNames() {
            int n = unet.config().numClasses();
            String stored = metadata.get(CLASS_NAMES);
            if (stored != null) {
                List<String> names = Arrays.stream(stored.split(",")).map(String::trim).toList();
                if (names.size() == n) {
                    return names;
                }
            }
            return java.util.stream.IntStream.range(0, n).mapToObj(i -> "class " + i).toList();
        }
    }

    /**
     * Writes a model file, atomically.
     *
     * @param file           the file to create or replace
     * @param unet           the network whose weights to store, normally the EMA model
     * @param train          the settings it was trained with
     * @param completedSteps the number of training steps behind the weights
     * @param extra          more metadata, such as the data set and {@link #CLASS_NAMES}; these
     *                       cannot override the keys above
     * @throws IOException if writing fails; an existing file is then left as it was
     */
    @SuppressWarnings("try") // the scope is only opened and closed
    static void write(Path file, UNet unet, TrainConfig train, long completedSteps, Map<String, String> extra)
            throws IOException {
        Map<String, String> meta = new LinkedHashMap<>(extra);
        meta.put(FORMAT_KEY, FORMAT);
        meta.putAll(unet.config().toMetadata());
        meta.putAll(train.toMetadata());
        meta.put(COMPLETED_STEPS, Long.toString(completedSteps));
        writeWeights(file, unet, meta);
    }

    /**
     * Writes a layer's weights with metadata to a safetensors file, atomically, creating the
     * parent directory if needed.
     *
     * @param file  the file
     * @param layer the layer whose state dict is written
     * @param meta  the metadata
     * @throws IOException if writing fails; an existing file is then left as it was
     */
    static void writeWeights(Path file, Parameterized layer, Map<String, String> meta) throws IOException {
        Map<String, Tensor> tensors;
        try (Autograd.Scope noGrad = Autograd.noGrad()) {
            tensors = layer.stateDict();
        }
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        Safetensors.write(file, tensors, meta);
    }

    /**
     * Reads a model file, or the EMA weights of a training checkpoint, onto the current backend.
     *
     * @param file the file
     * @return the model
     * @throws NoSuchFileException if the file does not exist
     * @throws IOException         if it cannot be read or is not valid safetensors
     * @throws DemoException       naming the file if it is not a mini-diffusion model, a
     *                             metadata value is out of range, or its weights are not finite
     *                             or do not fit the architecture in its metadata
     */
    static Model read(Path file) throws IOException {
        if (!Files.exists(file)) {
            throw new NoSuchFileException(file.toString());
        }
        SafetensorsFile f = Safetensors.read(file);
        Map<String, String> meta = f.metadata();
        String format = meta.get(FORMAT_KEY);
        Map<String, Tensor> weights;
        if (FORMAT.equals(format)) {
            weights = f.tensors();
        } else if (CHECKPOINT_FORMAT.equals(format)) {
            weights = new LinkedHashMap<>();
            for (Map.Entry<String, Tensor> e : f.tensors().entrySet()) {
                if (e.getKey().startsWith(EMA_PREFIX)) {
                    weights.put(e.getKey().substring(EMA_PREFIX.length()), e.getValue());
                }
            }
        } else {
            throw new DemoException(file + " is not a mini-diffusion model file (its metadata has "
                    + (format == null ? "no 'format' key" : "format '" + format + "'") + "); train one with the 'train' command");
        }
        try {
            // every field is checked where it is read, and the weights before they are used
            MetadataReader r = new MetadataReader(meta, file.toString());
            UNetConfig config = UNetConfig.fromMetadata(meta, file.toString());
            PredictionType prediction = r.enumValue(PREDICTION, PredictionType.class);
            BetaSchedule schedule = r.enumValue(BETA_SCHEDULE, BetaSchedule.class);
            int timesteps = r.intIn(TRAIN_TIMESTEPS, 2, TrainConfig.MAX_TRAIN_TIMESTEPS);
            UNet unet = UNet.fromWeights(config, weights, file.toString());
            return new Model(file, unet, prediction, schedule, timesteps, meta);
        } catch (InvalidFieldException e) { // names the file, the key or tensor, the value and the range
            throw new DemoException(e.source() + " is not a usable model file: " + e.detail(), e);
        } catch (IllegalArgumentException e) { // also ShapeException
            throw new DemoException(file + " is not a usable model file: " + e.getMessage(), e);
        }
    }
}
