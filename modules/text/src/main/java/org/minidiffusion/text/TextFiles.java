package org.minidiffusion.text;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ThreadLocalRandom;
import java.util.zip.GZIPInputStream;

/** Reads tokenizer files as strict UTF-8 (gunzipping {@code .gz} files) and writes them atomically. */
final class TextFiles {
    private TextFiles() {
    }

    /**
     * Reads a whole file as UTF-8, gunzipping it first if its name ends in {@code .gz}.
     *
     * @param file the file
     * @return its text
     * @throws IOException if it cannot be read, or is not valid UTF-8 (naming the file)
     */
    public static String read(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return decode(file, file.getFileName().toString().endsWith(".gz") ? new GZIPInputStream(in) : in);
        }
    }

    /**
     * Reads a stream as UTF-8, gunzipping it if {@code gzip}.
     *
     * @param name the name to report in errors
     * @param in   the stream, closed on return
     * @param gzip whether the stream is gzipped
     * @return its text
     * @throws IOException if it cannot be read or is not valid UTF-8
     */
    public static String read(Path name, InputStream in, boolean gzip) throws IOException {
        try (InputStream stream = in) {
            return decode(name, gzip ? new GZIPInputStream(stream) : stream);
        }
    }

    private static String decode(Path file, InputStream in) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        in.transferTo(bytes);
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes.toByteArray())).toString();
        } catch (CharacterCodingException e) {
            throw new TokenizerFormatException(file, "content", "not valid UTF-8 (" + e.getMessage() + ")");
        }
    }

    /**
     * Replaces {@code target} with {@code text} in UTF-8, atomically: a temporary file in the same
     * directory, forced to disk, then renamed over the target.
     *
     * @param target the file to create or replace
     * @param text   its new content
     * @throws IOException if writing fails; {@code target} is then unchanged
     */
    public static void writeAtomically(Path target, String text) throws IOException {
        Path file = target.toAbsolutePath();
        Path tmp = file.resolveSibling("." + file.getFileName() + "."
                + Long.toUnsignedString(ThreadLocalRandom.current().nextLong(), 36) + ".tmp");
        try {
            try (FileChannel channel = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                ByteBuffer buffer = ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
                while (buffer.hasRemaining()) {
                    channel.write(buffer);
                }
                channel.force(true);
            }
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException | RuntimeException | Error e) {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }
}
