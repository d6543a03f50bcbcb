package dev.maskrt.engine.tensorrt;

import java.util.List;

/**
 * Whether the TensorRT backend can run in this JVM, decided by probing, in order: the NVIDIA driver
 * ({@code libcuda.so.1}), the CUDA runtime, {@code libnvinfer}, {@code libnvonnxparser}, a driver too old for the
 * runtime, at least one visible device, and maskrt's own CUDA library (its device memory pool and streams). The first failure gives {@link #reason()}: one line naming what is
 * missing and how to get it. Native failures ({@link UnsatisfiedLinkError}, {@link NoClassDefFoundError}, CUDA
 * errors) are caught; probing never crashes the JVM.
 *
 * <p>{@link #probe()} probes the real system once per JVM and caches the answer. Immutable and thread-safe.
 */
public final class TensorRtAvailability {
    /** The CUDA runtime version the bytedeco cuda preset is built against (13.1). */
    public static final int REQUIRED_CUDA_RUNTIME = 13010;
    /** Every unavailability reason starts with this. */
    public static final String PREFIX = "TensorRT backend unavailable: ";

    static final String HOW_TO_LIBRARIES = "build maskrt with the opt-in Maven profile -Ptensorrt-redist (bundles "
            + "CUDA 13.1 and TensorRT 10.15) or install them system-wide and put their lib folders on "
            + "LD_LIBRARY_PATH (see README, \"GPU (TensorRT)\")";

    private static volatile TensorRtAvailability cached;

    private final String reason;
    private final int driverVersion;
    private final int runtimeVersion;
    private final int tensorRtVersion;
    private final List<GpuDevice> devices;

    private TensorRtAvailability(String reason, int driverVersion, int runtimeVersion, int tensorRtVersion,
            List<GpuDevice> devices) {
        this.reason = reason;
        this.driverVersion = driverVersion;
        this.runtimeVersion = runtimeVersion;
        this.tensorRtVersion = tensorRtVersion;
        this.devices = List.copyOf(devices);
    }

    /** Probes this machine once (later calls return the same answer). */
    public static TensorRtAvailability probe() {
        TensorRtAvailability a = cached;
        if (a == null) {
            synchronized (TensorRtAvailability.class) {
                a = cached;
                if (a == null) cached = a = check(NativeProbes.system());
            }
        }
        return a;
    }

    /** Runs {@code probes} in order and stops at the first failure. */
    public static TensorRtAvailability check(NativeProbes probes) {
        if (probes == null) throw new IllegalArgumentException("probes must not be null");
        try {
            probes.loadDriver();
        } catch (LinkageError | RuntimeException e) {
            return unavailable("the NVIDIA driver library libcuda.so.1 does not load (" + describe(e) + "); the "
                    + "TensorRT backend needs an NVIDIA GPU with its driver installed (R580 or newer for CUDA 13); "
                    + "machines without one use the CPU backend");
        }
        int[] versions;
        try {
            versions = probes.cudaVersions();
        } catch (LinkageError | RuntimeException e) {
            return unavailable("the CUDA 13 runtime (libcudart.so.13, used by bytedeco cuda 13.1-9.19-1.5.13) does not "
                    + "load (" + describe(e) + "); " + HOW_TO_LIBRARIES);
        }
        int trt;
        try {
            trt = probes.tensorRtVersion();
        } catch (LinkageError | RuntimeException e) {
            return unavailable("TensorRT's libnvinfer.so.10 (bytedeco tensorrt 10.15-1.5.13) does not load ("
                    + describe(e) + "); " + HOW_TO_LIBRARIES);
        }
        try {
            probes.onnxParserVersion();
        } catch (LinkageError | RuntimeException e) {
            return unavailable("TensorRT's ONNX parser libnvonnxparser.so.10 does not load (" + describe(e) + "); "
                    + HOW_TO_LIBRARIES);
        }
        int driver = versions[0];
        int runtime = versions[1];
        int needed = Math.max(runtime, REQUIRED_CUDA_RUNTIME);
        if (driver < needed) {
            return unavailable("the NVIDIA driver is too old: it supports CUDA up to " + cudaText(driver)
                    + " but CUDA " + cudaText(needed) + " is needed; update the NVIDIA driver (R580 or newer)");
        }
        List<GpuDevice> devices;
        try {
            devices = probes.devices();
        } catch (LinkageError | RuntimeException e) {
            return unavailable("CUDA cannot list the GPUs (" + describe(e) + "); check the driver with nvidia-smi");
        }
        if (devices.isEmpty()) {
            return unavailable("no CUDA device is visible (check nvidia-smi and CUDA_VISIBLE_DEVICES)");
        }
        String maskrtCuda;
        try {
            maskrtCuda = probes.maskrtCudaProblem();
        } catch (LinkageError | RuntimeException e) {
            maskrtCuda = describe(e);
        }
        if (maskrtCuda != null) {
            return unavailable("maskrt's own CUDA library cannot run (" + maskrtCuda + "); it is compiled when "
                    + "maskrt is built on a machine with nvcc 13 (/usr/local/cuda/bin/nvcc), see README");
        }
        return new TensorRtAvailability(null, driver, runtime, trt, devices);
    }

    private static TensorRtAvailability unavailable(String why) {
        return new TensorRtAvailability(PREFIX + why, 0, 0, 0, List.of());
    }

    /** True when every library loads and a device is visible. */
    public boolean isAvailable() {
        return reason == null;
    }

    /** One line naming what is missing and how to get it; null when available. */
    public String reason() {
        return reason;
    }

    /** The driver's CUDA version ({@code 1000 * major + 10 * minor}); 0 when unavailable. */
    public int driverVersion() { return driverVersion; }

    /** The CUDA runtime's version; 0 when unavailable. */
    public int runtimeVersion() { return runtimeVersion; }

    /** TensorRT's version as {@code getInferLibVersion} gives it (e.g. 101500 for 10.15.0); 0 when unavailable. */
    public int tensorRtVersion() { return tensorRtVersion; }

    /** TensorRT's version as text, e.g. {@code "10.15.0"}; empty when unavailable. */
    public String tensorRtVersionText() {
        return tensorRtVersion == 0 ? "" : versionText(tensorRtVersion);
    }

    /** The visible devices (empty when unavailable). */
    public List<GpuDevice> devices() { return devices; }

    /** A one-line summary: the reason, or the versions and devices found. */
    @Override
    public String toString() {
        if (reason != null) return reason;
        return "TensorRT " + tensorRtVersionText() + ", CUDA runtime " + cudaText(runtimeVersion) + ", driver CUDA "
                + cudaText(driverVersion) + ", devices " + devices;
    }

    /** TensorRT's {@code MAJOR * 10000 + MINOR * 100 + PATCH} as text. */
    static String versionText(int v) {
        return (v / 10000) + "." + (v / 100 % 100) + "." + (v % 100);
    }

    static String cudaText(int v) {
        return (v / 1000) + "." + (v % 1000 / 10);
    }

    private static String describe(Throwable e) {
        String m = e.getMessage();
        if (m == null || m.isBlank()) return e.getClass().getSimpleName();
        int nl = m.indexOf('\n');
        return e.getClass().getSimpleName() + ": " + (nl < 0 ? m : m.substring(0, nl)).trim();
    }
}
