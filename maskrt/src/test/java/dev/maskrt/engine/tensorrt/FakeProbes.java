package dev.maskrt.engine.tensorrt;

import java.util.List;

/** {@link NativeProbes} whose every answer a test sets; a null failure means the probe succeeds. */
final class FakeProbes implements NativeProbes {
    Throwable driver;
    Throwable cudaRuntime;
    Throwable tensorRt;
    Throwable onnxParser;
    RuntimeException devicesError;
    int driverVersion = 13020;
    int runtimeVersion = 13010;
    List<GpuDevice> devices = List.of(new GpuDevice(0, "NVIDIA H100 80GB HBM3", 9, 0));
    String maskrtCuda;
    final StringBuilder calls = new StringBuilder();

    /** Probes of a machine where everything loads. */
    static FakeProbes working() {
        return new FakeProbes();
    }

    @Override
    public void loadDriver() {
        calls.append("driver ");
        rethrow(driver);
    }

    @Override
    public int[] cudaVersions() {
        calls.append("cuda ");
        rethrow(cudaRuntime);
        return new int[] {driverVersion, runtimeVersion};
    }

    @Override
    public int tensorRtVersion() {
        calls.append("nvinfer ");
        rethrow(tensorRt);
        return 101500;
    }

    @Override
    public int onnxParserVersion() {
        calls.append("onnxparser ");
        rethrow(onnxParser);
        return 101500;
    }

    @Override
    public List<GpuDevice> devices() {
        calls.append("devices ");
        if (devicesError != null) throw devicesError;
        return devices;
    }

    @Override
    public String maskrtCudaProblem() {
        calls.append("maskrt ");
        return maskrtCuda;
    }

    private static void rethrow(Throwable t) {
        if (t instanceof RuntimeException r) throw r;
        if (t instanceof Error e) throw e;
    }
}
