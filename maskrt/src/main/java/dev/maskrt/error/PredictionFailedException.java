package dev.maskrt.error;

/**
 * The instances of an image whose prediction failed were asked for. The cause is the image's own error (usually an
 * {@link InputFormatException} naming it); the message names the image.
 */
public final class PredictionFailedException extends MaskrtException {
    private static final long serialVersionUID = 1L;

    /**
     * @param imageName the failed image's name
     * @param cause the image's own error
     */
    public PredictionFailedException(String imageName, Throwable cause) {
        super(imageName + ": prediction failed: " + withoutName(imageName, String.valueOf(cause.getMessage())), cause);
    }

    /** The cause's message without a leading "NAME: " (most of maskrt's messages start with the file's name). */
    private static String withoutName(String imageName, String message) {
        return message.startsWith(imageName + ": ") ? message.substring(imageName.length() + 2) : message;
    }
}
