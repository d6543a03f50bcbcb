package dev.maskrt.engine.tensorrt;

/**
 * One CUDA device as TensorRT plans care about it: a plan built on one GPU model runs only on the same model.
 *
 * @param id CUDA device ordinal
 * @param name the device name, e.g. {@code "NVIDIA H100 80GB HBM3"}
 * @param major compute capability major
 * @param minor compute capability minor
 */
public record GpuDevice(int id, String name, int major, int minor) {
    public GpuDevice {
        if (id < 0) throw new IllegalArgumentException("id must be >= 0, got " + id);
        if (name == null) throw new IllegalArgumentException("name must not be null");
    }

    /** The compute capability as text, e.g. {@code "9.0"}. */
    public String computeCapability() {
        return major + "." + minor;
    }
}
