package org.minidiffusion.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.minidiffusion.core.api.Tensor;

class AtomicFilesTests {
    @TempDir
    Path dir;

    @Test
    void theNextSaveRemovesTemporaryFilesLeftByACrashedSave() throws IOException {
        Path file = dir.resolve("checkpoint.safetensors");
        Safetensors.write(file, Map.of("w", Tensor.ones(2)));
        // What a save killed between writing and renaming leaves behind.
        Path stale = Files.write(dir.resolve(".checkpoint.safetensors.1x2y3z.tmp"), new byte[] {1, 2, 3});
        Path otherTarget = Files.write(dir.resolve(".model.safetensors.abc.tmp"), new byte[] {4});
        Path notOurs = Files.write(dir.resolve("checkpoint.safetensors.tmp"), new byte[] {5});

        Safetensors.write(file, Map.of("w", Tensor.zeros(3)));

        assertEquals(List.of(otherTarget, file, notOurs), SafetensorsTests.listing(dir));
        assertTrue(Files.notExists(stale));
        assertArrayEquals(new float[3], Safetensors.read(file).tensor("w").toArray());
    }

    @Test
    void aTemporaryFileStillLockedByAWriterIsLeftAlone() throws IOException {
        Path file = dir.resolve("model.safetensors");
        Path inProgress = dir.resolve(".model.safetensors.k9.tmp");
        try (FileChannel channel = FileChannel.open(inProgress, StandardOpenOption.CREATE_NEW,
                StandardOpenOption.WRITE); FileLock lock = channel.lock()) {
            Safetensors.write(file, Map.of("w", Tensor.ones(1)));
            assertTrue(Files.exists(inProgress), "a locked temporary file belongs to a live writer");
        }
        Images.writePng(file.resolveSibling("model.png"), Tensor.zeros(2, 2));
        assertTrue(Files.exists(inProgress), "only a write of the same target cleans up");
        Safetensors.write(file, Map.of("w", Tensor.ones(1)));
        assertTrue(Files.notExists(inProgress), "once unlocked it is stale and removed");
    }
}
