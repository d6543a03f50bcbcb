package dev.maskrt.error;

/** A backend failed to run a graph on inputs that matched its declaration. The message names the graph. */
public class EngineException extends MaskrtException {
    private static final long serialVersionUID = 1L;

    /**
     * @param message one line naming what is wrong and where
     * @param cause the underlying failure
     */
    public EngineException(String message, Throwable cause) {
        super(message, cause);
    }
}
