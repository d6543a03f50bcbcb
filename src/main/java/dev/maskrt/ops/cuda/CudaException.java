package dev.maskrt.ops.cuda;

/**
 * A CUDA operation failed: the native library is missing, there is no driver or device, or a CUDA call
 * returned an error. The message names the operation and CUDA's error name and description.
 */
public final class CudaException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int cudaError;

    CudaException(String message, int cudaError, Throwable cause) {
        super(message, cause);
        this.cudaError = cudaError;
    }

    /** CUDA's {@code cudaError_t} code, or 0 when the failure was not a CUDA runtime error. */
    public int cudaError() {
        return cudaError;
    }
}
