package org.minidiffusion.diffusion.train;

import java.io.IOException;
import java.nio.file.Path;
import org.minidiffusion.io.Safetensors;
import org.minidiffusion.io.SafetensorsFile;

/** Writes and reads training checkpoints as safetensors files for the tests, as the demos do. */
final class CheckpointFiles {
    private CheckpointFiles() {
    }

    /** Writes the trainer's checkpoint to {@code file}, atomically. */
    static void save(Trainer trainer, Path file) throws IOException {
        Checkpoint c = trainer.checkpoint(file.toString());
        Safetensors.write(file, c.tensors(), c.metadata());
    }

    /** Reads {@code file} and resumes from it. */
    static Trainer resume(Path file, TrainingData data, int newSteps) throws IOException {
        SafetensorsFile f = Safetensors.read(file);
        return Trainer.resume(new Checkpoint(file.toString(), f.tensors(), f.metadata()), data, newSteps);
    }
}
