package org.minidiffusion.vae;

/**
 * Thrown when a value of a saved training state (a metadata key or a stored tensor of a checkpoint)
 * is missing, malformed, out of range or not finite.
 *
 * <p>The message is one line naming the source, the field, the value and what is allowed, as in
 * {@code "run/checkpoint.safetensors: 'vae_train.batch_size' = '0': must be an integer in [1, 65536]"}.
 */
public final class InvalidTrainingStateException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    private final String source;
    private final String field;
    private final String detail;

    /**
     * Creates the exception.
     *
     * @param source  where the value was read, such as a file name
     * @param field   the metadata key or tensor name
     * @param value   the value as read, or null if it is missing
     * @param problem what is wrong or allowed, such as {@code "must be an integer in [1, 64]"}
     */
    public InvalidTrainingStateException(String source, String field, String value, String problem) {
        super(source + ": " + detail(field, value, problem));
        this.source = source;
        this.field = field;
        this.detail = detail(field, value, problem);
    }

    /**
     * Returns where the value was read.
     *
     * @return the source, such as a file name
     */
    public String source() {
        return source;
    }

    /**
     * Returns the metadata key or tensor name at fault.
     *
     * @return the field
     */
    public String field() {
        return field;
    }

    /**
     * Returns the message without its source: the field, the value and what is allowed.
     *
     * @return the detail
     */
    public String detail() {
        return detail;
    }

    private static String detail(String field, String value, String problem) {
        return "'" + field + "'" + (value == null ? "" : " = '" + shorten(value) + "'") + ": " + problem;
    }

    /** Keeps a hostile value from flooding the message. */
    private static String shorten(String value) {
        String oneLine = value.replaceAll("\\p{Cntrl}", "?");
        return oneLine.length() <= 60 ? oneLine : oneLine.substring(0, 57) + "...";
    }
}
