package dev.maskrt.engine.tensorrt;

/**
 * The native checks behind {@link TensorRtAvailability}, one method per library, so that tests can simulate each
 * missing piece. Every method may throw a {@link LinkageError} ({@link UnsatisfiedLinkError} when a library does not
 * load, {@link NoClassDefFoundError} when a bytedeco class failed to initialise earlier); {@link TensorRtAvailability}
 * catches them. {@link #system()} is the real implementation.
 */
public interface NativeProbes {

    /** Loads the NVIDIA driver library {@code libcuda.so.1}. */
    void loadDriver();

    /** Loads the CUDA runtime (bytedeco cudart) and returns {@code {driverVersion, runtimeVersion}} as CUDA encodes
     *  them ({@code 1000 * major + 10 * minor}, e.g. 13010 for 13.1). */
    int[] cudaVersions();

    /** Loads {@code libnvinfer} and returns TensorRT's version ({@code getInferLibVersion}, e.g. 101500). */
    int tensorRtVersion();

    /** Loads {@code libnvonnxparser} and returns its version. */
    int onnxParserVersion();

    /**
     * The CUDA devices visible to the runtime.
     *
     * @return the devices, empty when none is visible
     * @throws IllegalStateException with CUDA's error text when the runtime cannot count the devices
     */
    java.util.List<GpuDevice> devices();

    /**
     * Whether maskrt's own CUDA library (device memory pool, streams, sparse ops) can run.
     *
     * @return null when it can, else one line saying why not
     */
    String maskrtCudaProblem();

    /** The real probes through bytedeco's cuda and tensorrt presets. */
    static NativeProbes system() {
        return new BytedecoProbes();
    }
}
