package dev.maskrt.error;

/** The requested {@link dev.maskrt.config.Backend} cannot run in this build or on this machine; the message says what it needs. */
public class BackendUnavailableException extends MaskrtException {
    private static final long serialVersionUID = 1L;

    /** @param message one line naming what is wrong and where */
    public BackendUnavailableException(String message) {
        super(message);
    }
}
