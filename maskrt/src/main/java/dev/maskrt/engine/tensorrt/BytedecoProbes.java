package dev.maskrt.engine.tensorrt;

import java.util.ArrayList;
import java.util.List;
import org.bytedeco.cuda.cudart.cudaDeviceProp;
import org.bytedeco.cuda.global.cudart;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.tensorrt.global.nvinfer;
import org.bytedeco.tensorrt.global.nvonnxparser;

/**
 * {@link NativeProbes} through bytedeco. Each method touches its preset class only inside its own body, so a class
 * that cannot initialise (no driver, no library) fails that probe alone with a {@link LinkageError}.
 */
final class BytedecoProbes implements NativeProbes {

    @Override
    public void loadDriver() {
        // dlopen by soname: fails fast with UnsatisfiedLinkError when no NVIDIA driver is installed
        Loader.loadGlobal("libcuda.so.1");
    }

    @Override
    public int[] cudaVersions() {
        Loader.load(cudart.class);
        int[] driver = new int[1];
        int[] runtime = new int[1];
        int e = cudart.cudaDriverGetVersion(driver);
        if (e != 0) throw new IllegalStateException("cudaDriverGetVersion: " + errorText(e));
        e = cudart.cudaRuntimeGetVersion(runtime);
        if (e != 0) throw new IllegalStateException("cudaRuntimeGetVersion: " + errorText(e));
        return new int[] {driver[0], runtime[0]};
    }

    @Override
    public int tensorRtVersion() {
        Loader.load(nvinfer.class);
        return nvinfer.getInferLibVersion();
    }

    @Override
    public int onnxParserVersion() {
        Loader.load(nvonnxparser.class);
        return nvonnxparser.getNvOnnxParserVersion();
    }

    @Override
    public List<GpuDevice> devices() {
        int[] count = new int[1];
        int e = cudart.cudaGetDeviceCount(count);
        if (e != 0) throw new IllegalStateException("cudaGetDeviceCount: " + errorText(e));
        List<GpuDevice> out = new ArrayList<>();
        for (int i = 0; i < count[0]; i++) {
            try (cudaDeviceProp p = new cudaDeviceProp()) {
                e = cudart.cudaGetDeviceProperties(p, i);
                if (e != 0) throw new IllegalStateException("cudaGetDeviceProperties(" + i + "): " + errorText(e));
                out.add(new GpuDevice(i, p.name().getString().trim(), p.major(), p.minor()));
            }
        }
        return out;
    }

    @Override
    public String maskrtCudaProblem() {
        return dev.maskrt.ops.cuda.CudaRuntime.isAvailable() ? null : dev.maskrt.ops.cuda.CudaRuntime.unavailableReason();
    }

    static String errorText(int cudaError) {
        return cudart.cudaGetErrorString(cudaError).getString() + " (" + cudaError + ")";
    }
}
