package org.minidiffusion.diffusion;

/**
 * Thrown when a value read from a file or another outside source (a metadata key, a stored
 * tensor) is missing, malformed, out of range or not finite.
 *
 * <p>The message is one line that names the source, the field, the value and what is allowed, as
 * in {@code "run/checkpoint.safetensors: 'groups' = '0': must be an integer in [1, 4096]"}, so a
 * command-line tool can print it as it is.
 */
public final class InvalidFieldException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    private final String source;
    private final String field;
    private final String value;
    private final String detail;

    /**
     * Creates the exception.
     *
     * @param source  where the value was read, such as a file name
     * @param field   the metadata key or tensor name
     * @param value   the value as read, or null if it is missing
     * @param problem what is wrong or allowed, such as {@code "must be an integer in [1, 64]"}
     */
    public InvalidFieldException(String source, String field, String value, String problem) {
        super(source + ": " + detail(field, value, problem));
        this.source = source;
        this.detail = detail(field, value, problem);
        this.field = field;
        this.value = value;
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
     * Returns the value as read.
     *
     * @return the value, or null if it was missing
     */
    public String value() {
        return value;
    }

    /**
     * Returns the message without its source: the field, the value and what is allowed.
     *
     * @return the detail, such as {@code "'groups' = '0': must be an integer in [1, 4096]"}
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
