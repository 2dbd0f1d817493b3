package org.minidiffusion.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Writes files atomically: to a temporary file in the same directory, forced to disk, then
 * renamed over the target, so readers see either the old file or the complete new one.
 */
public final class AtomicFiles {
    /** Writes the content of a file. */
    @FunctionalInterface
    public interface Body {
        /**
         * Writes everything to {@code channel}.
         *
         * @param channel the temporary file, positioned at 0
         * @throws IOException if writing fails
         */
        void writeTo(FileChannel channel) throws IOException;
    }

    private AtomicFiles() {
    }

    /**
     * Replaces {@code target} with {@code bytes}, atomically.
     *
     * @param target the file to create or replace
     * @param bytes  its new content
     * @throws IOException if writing fails; {@code target} is then unchanged
     */
    public static void write(Path target, byte[] bytes) throws IOException {
        write(target, channel -> writeFully(channel, ByteBuffer.wrap(bytes)));
    }

    /**
     * Replaces {@code target} with what {@code body} writes, atomically.
     *
     * <p>If {@code body} or any later step throws, the temporary file is deleted, the exception
     * propagates, and {@code target} is unchanged.
     *
     * @param target the file to create or replace
     * @param body   writes the content
     * @throws IOException if writing fails
     */
    public static void write(Path target, Body body) throws IOException {
        Path file = target.toAbsolutePath();
        Path tmp = file.resolveSibling("." + file.getFileName() + "."
                + Long.toUnsignedString(ThreadLocalRandom.current().nextLong(), 36) + ".tmp");
        try {
            try (FileChannel channel = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW,
                    StandardOpenOption.WRITE)) {
                body.writeTo(channel);
                channel.force(true);
            }
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException | RuntimeException | Error e) {
            deleteAfterFailure(tmp, e);
            throw e;
        }
        syncDirectory(file.getParent());
    }

    /**
     * Writes all remaining bytes of {@code buffer}.
     *
     * @param channel the destination
     * @param buffer  the bytes, from its position to its limit
     * @throws IOException if writing fails
     */
    static void writeFully(FileChannel channel, ByteBuffer buffer) throws IOException {
        while (buffer.hasRemaining()) {
            channel.write(buffer);
        }
    }

    private static void deleteAfterFailure(Path tmp, Throwable failure) {
        try {
            Files.deleteIfExists(tmp);
        } catch (IOException e) {
            failure.addSuppressed(e);
        }
    }

    /** Makes the rename durable where the platform allows syncing a directory (Linux, macOS). */
    private static void syncDirectory(Path dir) {
        try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
            channel.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            // Best effort: some platforms cannot open or sync a directory; the data is already safe.
        }
    }
}
