package dev.maskrt.ops.cuda;

import dev.maskrt.error.CudaException;

import java.nio.charset.StandardCharsets;

/**
 * Whether maskrt's CUDA kernels can run in this JVM, and the one place that turns native status codes into
 * exceptions.
 *
 * <p>{@link #isAvailable()} is decided once: the native library must load and the CUDA runtime must find at least
 * one device. Without a driver (CUDA reports {@code cudaErrorInsufficientDriver}, 35) or without a device it is
 * false and {@link #unavailableReason()} says why in one line. Nothing here can crash the JVM: a missing library
 * is a caught {@link UnsatisfiedLinkError}, and every native entry returns a status instead of aborting.
 *
 * <p>Thread-safe.
 */
public final class CudaRuntime {
    // status codes of maskrt_cuda.h
    static final int OK = 0;
    static final int INVALID_ARGUMENT = 1;
    static final int CUDA_ERROR = 2;
    static final int SCRATCH_TOO_SMALL = 3;

    private static final String REASON = probe();

    private CudaRuntime() {}

    /** True when the native library is loaded and at least one CUDA device is usable. */
    public static boolean isAvailable() {
        return REASON == null;
    }

    /** One line saying why CUDA is unavailable, or null when it is available. */
    public static String unavailableReason() {
        return REASON;
    }

    /** @throws CudaException with {@link #unavailableReason()} when CUDA is unavailable */
    public static void requireAvailable() {
        if (REASON != null) {
            throw new CudaException("CUDA is unavailable: " + REASON, 0, CudaNative.LOAD_ERROR);
        }
    }

    /**
     * The name and compute capability of device 0, e.g. {@code "NVIDIA H100 (sm_90)"}.
     *
     * @throws CudaException when CUDA is unavailable
     */
    public static String deviceDescription() {
        return deviceDescription(0);
    }

    /**
     * The name and compute capability of a device, e.g. {@code "NVIDIA H100 (sm_90)"}.
     *
     * @throws IllegalArgumentException when {@code deviceId} is not a visible device
     * @throws CudaException            when CUDA is unavailable or the query fails
     */
    public static String deviceDescription(int deviceId) {
        requireDevice(deviceId);
        byte[] name = new byte[256];
        int[] major = new int[1], minor = new int[1];
        check(CudaNative.maskrt_device_name(deviceId, name, name.length, major, minor), "cudaGetDeviceProperties");
        int end = 0;
        while (end < name.length && name[end] != 0) end++;
        return new String(name, 0, end, StandardCharsets.UTF_8) + " (sm_" + major[0] + minor[0] + ")";
    }

    /**
     * The number of visible CUDA devices.
     *
     * @throws CudaException when CUDA is unavailable
     */
    public static int deviceCount() {
        requireAvailable();
        int[] count = new int[1];
        check(CudaNative.maskrt_device_count(count), "cudaGetDeviceCount");
        return count[0];
    }

    /**
     * Checks that {@code deviceId} names a visible device.
     *
     * @throws IllegalArgumentException naming {@code deviceId} when it is negative or not below {@link #deviceCount()}
     * @throws CudaException            when CUDA is unavailable
     */
    static void requireDevice(int deviceId) {
        if (deviceId < 0) throw new IllegalArgumentException("deviceId must be >= 0, got " + deviceId);
        int count = deviceCount();
        if (deviceId >= count) {
            throw new IllegalArgumentException("deviceId " + deviceId + " does not exist: " + count
                    + " CUDA device(s) visible");
        }
    }

    /**
     * Makes {@code deviceId} the current device of the calling thread in maskrt's CUDA runtime
     * ({@code maskrt_set_device}). Every maskrt call that allocates, creates a stream, copies or launches calls this
     * first with its pool's device, so CUDA work may be issued from any thread (cheap when already current).
     *
     * @throws CudaException when CUDA refuses the device
     */
    static void useDevice(int deviceId) {
        check(CudaNative.maskrt_set_device(deviceId), "cudaSetDevice(" + deviceId + ")");
    }

    /** Throws a {@link CudaException} naming {@code operation} unless {@code status} is OK. */
    static void check(int status, String operation) {
        switch (status) {
            case OK:
                return;
            case INVALID_ARGUMENT:
                // the Java side checks arguments first, so this is a maskrt bug, not bad user input
                throw new CudaException(operation + ": the native side refused its arguments", 0, null);
            case SCRATCH_TOO_SMALL:
                throw new CudaException(operation + ": scratch buffer too small", 0, null);
            case CUDA_ERROR: {
                int error = CudaNative.maskrt_last_cuda_error();
                throw new CudaException(operation + ": " + errorString(error), error, null);
            }
            default:
                throw new CudaException(operation + ": unknown status " + status, 0, null);
        }
    }

    static String errorString(int cudaError) {
        return CudaNative.maskrt_cuda_error_string(cudaError).getString() + " (" + cudaError + ")";
    }

    private static String probe() {
        Throwable loadError;
        try {
            loadError = CudaNative.LOAD_ERROR;
        } catch (LinkageError e) { // the binding class itself cannot initialise
            return "maskrt CUDA binding unusable: " + e;
        }
        if (loadError != null) {
            return "maskrt CUDA library not loaded (built without nvcc, or not for this platform): "
                    + firstLine(loadError.getMessage());
        }
        try {
            int[] count = new int[1];
            int status = CudaNative.maskrt_device_count(count);
            if (status == CUDA_ERROR) {
                return "cudaGetDeviceCount failed: " + errorString(CudaNative.maskrt_last_cuda_error());
            }
            if (status != OK) {
                return "cudaGetDeviceCount failed with status " + status;
            }
            if (count[0] < 1) {
                return "no CUDA device found";
            }
            return null;
        } catch (LinkageError e) {
            return "maskrt CUDA library unusable: " + firstLine(e.getMessage());
        }
    }

    private static String firstLine(String s) {
        if (s == null) return "";
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
