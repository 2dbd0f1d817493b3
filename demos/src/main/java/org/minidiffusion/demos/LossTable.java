package org.minidiffusion.demos;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.minidiffusion.io.AtomicFiles;
import org.minidiffusion.io.FileFormatException;

/**
 * The {@code losses.csv} of a training run: a header such as {@code step,loss} or
 * {@code step,loss,mse,kl}, then one line per step with the step (from 1) and its values, an empty
 * cell where a value is unknown (NaN).
 *
 * @param header    the first line, {@code step} and the names of the values
 * @param namesLine whether the error for text that is not UTF-8 names the line ({@code train},
 *                  {@code train-clip} and {@code train-t2i}) or only the file ({@code train-vae})
 */
record LossTable(String header, boolean namesLine) {
    /** The table of one loss per step. */
    static final LossTable LOSS = new LossTable("step,loss", true);

    /**
     * Returns the number of values per step: the header's cells after {@code step}.
     *
     * @return the number of columns of values
     */
    int columns() {
        return header.split(",", -1).length - 1;
    }

    /**
     * Writes the values of steps {@code 1..steps}, atomically.
     *
     * @param file   the CSV file
     * @param curves one array per column, the value of step {@code s} at index {@code s - 1}
     * @param steps  the number of steps to write
     * @throws IOException if writing fails; an existing file is then left as it was
     */
    void write(Path file, double[][] curves, long steps) throws IOException {
        StringBuilder csv = new StringBuilder(header).append('\n');
        for (int i = 0; i < steps; i++) {
            csv.append(i + 1);
            for (double[] c : curves) {
                csv.append(',').append(Double.isNaN(c[i]) ? "" : Double.toString(c[i]));
            }
            csv.append('\n');
        }
        AtomicFiles.write(file, csv.toString().getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Reads the values of steps {@code 1..steps} written by {@link #write}; missing entries, and
     * lines that are not a step and {@link #columns} values, leave the arrays as they are.
     *
     * @param file   the CSV file, which need not exist
     * @param curves one array per column; receives the value of step {@code s} at index {@code s - 1}
     * @param steps  the last step to read
     * @throws FileFormatException naming the file (and the line, if {@link #namesLine}) if it is not UTF-8 text
     * @throws IOException         if the file exists but cannot be read
     */
    void read(Path file, double[][] curves, long steps) throws IOException {
        if (!Files.exists(file)) {
            return;
        }
        List<String> lines = Files.readAllLines(file, StandardCharsets.ISO_8859_1); // any bytes: checked below
        for (int n = 0; n < lines.size(); n++) {
            String[] cells = utf8(file, lines.get(n), n + 1).split(",", -1);
            if (cells.length != curves.length + 1) {
                continue;
            }
            try {
                long step = Long.parseLong(cells[0].trim());
                if (step < 1 || step > steps || step > curves[0].length) {
                    continue;
                }
                for (int c = 0; c < curves.length; c++) {
                    String v = cells[c + 1].trim();
                    if (!v.isEmpty()) {
                        curves[c][(int) step - 1] = Double.parseDouble(v);
                    }
                }
            } catch (NumberFormatException e) {
                // the header or a damaged line: skip it
            }
        }
    }

    /** Decodes one line read as ISO-8859-1 (one char per byte) as UTF-8, or explains why it is not text. */
    private String utf8(Path file, String latin1, int lineNumber) throws FileFormatException {
        byte[] bytes = latin1.getBytes(StandardCharsets.ISO_8859_1);
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new FileFormatException(file, (namesLine ? "line " + lineNumber + " " : "") + "is not UTF-8 text;"
                    + " this file holds the loss of each step as '" + header + "' lines: restore it, or delete it to"
                    + " resume without the earlier losses in " + TrainingRun.LOSS_PNG, e);
        }
    }
}
