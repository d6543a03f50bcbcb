package dev.maskrt.error;

/**
 * The base of every exception maskrt throws on purpose: catch this one type to handle any failure of a model
 * package, an input, a backend or a GPU. Unchecked. Messages are one line and name the file, record and field (or
 * the option, graph or CUDA call) concerned, so that they can be shown to a user as they are.
 *
 * <p>Subtypes: {@link InputFormatException} (a malformed file, image or option value), {@link
 * BackendUnavailableException} (a backend cannot run here), {@link EngineException} (a backend failed while running
 * a graph), {@link CudaException} (a CUDA call failed), {@link PredictorClosedException} and {@link
 * PredictionFailedException}. Programming errors (a null argument, an index out of range) are still reported with
 * the JDK's {@link IllegalArgumentException} / {@link NullPointerException}.
 */
public class MaskrtException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** @param message one line naming what is wrong and where */
    public MaskrtException(String message) {
        super(message);
    }

    /**
     * @param message one line naming what is wrong and where
     * @param cause the underlying failure
     */
    public MaskrtException(String message, Throwable cause) {
        super(message, cause);
    }
}
