package dev.maskrt.error;

/** A predictor was used after {@code close()}, or was closed while a call was waiting for it. */
public final class PredictorClosedException extends MaskrtException {
    private static final long serialVersionUID = 1L;

    /** @param message one line naming what is wrong and where */
    public PredictorClosedException(String message) {
        super(message);
    }
}
