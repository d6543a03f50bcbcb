package dev.maskrt.error;

/**
 * A user-supplied file (JSON, CSV, model manifest, image) is malformed. The message is one line that names the
 * file, the record (array index, row, image id) and the field, so the CLI can print it as it is.
 */
public class InputFormatException extends MaskrtException {
    private static final long serialVersionUID = 1L;

    /** @param message one line naming what is wrong and where */
    public InputFormatException(String message) {
        super(message);
    }

    /**
     * @param message one line naming what is wrong and where
     * @param cause the underlying failure
     */
    public InputFormatException(String message, Throwable cause) {
        super(message, cause);
    }

    /**
     * An exception whose message has the form {@code FILE: RECORD: FIELD: PROBLEM}; null parts are left out.
     *
     * @param file the file (or source name), or null
     * @param record the record: an array index, a line, an image id; or null
     * @param field the field's name, or null
     * @param problem what is wrong
     * @return the exception (to throw)
     */
    public static InputFormatException at(Object file, String record, String field, String problem) {
        StringBuilder sb = new StringBuilder();
        if (file != null) sb.append(file).append(": ");
        if (record != null) sb.append(record).append(": ");
        if (field != null) sb.append("field '").append(field).append("': ");
        sb.append(problem);
        return new InputFormatException(sb.toString());
    }
}
