package dev.maskrt.error;

/**
 * A CUDA operation failed: the native library is missing, there is no driver or device, or a CUDA call
 * returned an error. The message names the operation and CUDA's error name and description.
 */
public final class CudaException extends MaskrtException {
    private static final long serialVersionUID = 1L;

    /** CUDA's {@code cudaError_t} code, or 0 when the failure was not a CUDA runtime error. */
    private final int cudaError;

    /**
     * @param message names the operation and CUDA's error name and description
     * @param cudaError CUDA's {@code cudaError_t}, or 0 when the failure was not a CUDA runtime error
     * @param cause the underlying failure (e.g. a library that does not load), or null
     */
    public CudaException(String message, int cudaError, Throwable cause) {
        super(message, cause);
        this.cudaError = cudaError;
    }

    /** @return CUDA's {@code cudaError_t} code, or 0 when the failure was not a CUDA runtime error */
    public int cudaError() {
        return cudaError;
    }
}
