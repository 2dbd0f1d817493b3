package org.minidiffusion.demos;

import java.io.IOException;
import java.nio.file.Path;
import org.minidiffusion.diffusion.train.Checkpoint;
import org.minidiffusion.diffusion.train.Trainer;
import org.minidiffusion.diffusion.train.TrainingData;
import org.minidiffusion.io.Safetensors;
import org.minidiffusion.io.SafetensorsFile;

/** Training checkpoints as safetensors files: the trainer's {@link Checkpoint}, written atomically. */
final class TrainingCheckpoints {
    private TrainingCheckpoints() {
    }

    /**
     * Writes the trainer's checkpoint, atomically, after the trainer has checked every value is finite.
     *
     * @param trainer the trainer
     * @param file    the checkpoint file
     * @throws IOException if writing fails; an existing file is then left as it was
     * @throws org.minidiffusion.diffusion.train.TrainingDivergedException if a value is NaN or infinite;
     *                     nothing is written then
     */
    static void save(Trainer trainer, Path file) throws IOException {
        Checkpoint checkpoint = trainer.checkpoint(file.toString());
        Safetensors.write(file, checkpoint.tensors(), checkpoint.metadata());
    }

    /**
     * Reads a checkpoint file and resumes the run it holds.
     *
     * @param file     the checkpoint file
     * @param data     the images the run was started on
     * @param newSteps the total number of steps to train to, or 0 to keep the checkpoint's plan
     * @return the trainer, ready to continue
     * @throws IOException if the file cannot be read or is not valid safetensors
     * @throws org.minidiffusion.diffusion.InvalidFieldException naming the file, the key, the value and
     *                     the allowed range
     */
    static Trainer resume(Path file, TrainingData data, int newSteps) throws IOException {
        SafetensorsFile f = Safetensors.read(file);
        return Trainer.resume(new Checkpoint(file.toString(), f.tensors(), f.metadata()), data, newSteps);
    }
}
