package org.minidiffusion.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Writes files atomically: to a temporary file in the same directory, forced to disk, then
 * renamed over the target, so readers see either the old file or the complete new one.
 *
 * <p>The temporary file of {@code name} is {@code .name.<random>.tmp}, locked while it is written
 * and renamed. A process killed mid-write leaves it behind, unlocked; the next write of the same
 * target deletes every such file that no live writer holds locked, so crashes do not accumulate
 * temporary files.
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
        String prefix = tempPrefix(file);
        Path tmp = file.resolveSibling(prefix + Long.toUnsignedString(ThreadLocalRandom.current().nextLong(), 36)
                + ".tmp");
        try {
            try (FileChannel channel = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW,
                    StandardOpenOption.WRITE); FileLock lock = channel.lock()) {
                body.writeTo(channel);
                channel.force(true);
                // Renamed while still locked, so that a concurrent clean-up never takes it for stale.
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException | RuntimeException | Error e) {
            deleteAfterFailure(tmp, e);
            throw e;
        }
        syncDirectory(file.getParent());
        deleteStaleTemporaries(file, prefix);
    }

    /**
     * Deletes the temporary files of earlier writes of {@code file} that crashed: those named
     * like this class names them that no writer, in this process or another, holds locked.
     *
     * @param file   the target, absolute
     * @param prefix the temporary files' common name prefix
     */
    static void deleteStaleTemporaries(Path file, String prefix) {
        try (DirectoryStream<Path> siblings = Files.newDirectoryStream(file.getParent(), p -> {
            String name = p.getFileName().toString();
            return name.startsWith(prefix) && name.endsWith(".tmp")
                    && name.substring(prefix.length(), name.length() - 4).matches("[0-9a-z]{1,13}");
        })) {
            for (Path stale : siblings) {
                deleteIfUnlocked(stale);
            }
        } catch (IOException | RuntimeException e) {
            // Best effort: the new file is in place; a leftover temporary file is only clutter.
        }
    }

    private static void deleteIfUnlocked(Path stale) {
        try (FileChannel channel = FileChannel.open(stale, StandardOpenOption.WRITE)) {
            FileLock lock = channel.tryLock();
            if (lock != null) {
                Files.deleteIfExists(stale);
                lock.release();
            }
        } catch (OverlappingFileLockException | NoSuchFileException e) {
            // Held by a writer in this process, or already gone.
        } catch (IOException e) {
            // Not ours to delete (permissions) or not lockable here: leave it.
        }
    }

    private static String tempPrefix(Path file) {
        return "." + file.getFileName() + ".";
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
