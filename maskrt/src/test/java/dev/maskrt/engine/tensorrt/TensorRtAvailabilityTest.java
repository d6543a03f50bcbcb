package dev.maskrt.engine.tensorrt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

class TensorRtAvailabilityTest {

    private static void assertReason(TensorRtAvailability a, String... parts) {
        assertFalse(a.isAvailable());
        String r = a.reason();
        assertTrue(r.startsWith(TensorRtAvailability.PREFIX), r);
        assertFalse(r.contains("\n"), "one line: " + r);
        for (String p : parts) assertTrue(r.contains(p), () -> "reason '" + r + "' lacks '" + p + "'");
        assertEquals(r, a.toString());
        assertTrue(a.devices().isEmpty());
        assertEquals(0, a.tensorRtVersion());
    }

    @Test
    void everythingLoads() {
        FakeProbes p = FakeProbes.working();
        TensorRtAvailability a = TensorRtAvailability.check(p);
        assertTrue(a.isAvailable());
        assertNull(a.reason());
        assertEquals("10.15.0", a.tensorRtVersionText());
        assertEquals(13020, a.driverVersion());
        assertEquals(13010, a.runtimeVersion());
        assertEquals("9.0", a.devices().get(0).computeCapability());
        assertEquals("driver cuda nvinfer onnxparser devices maskrt ", p.calls.toString());
        assertTrue(a.toString().contains("TensorRT 10.15.0, CUDA runtime 13.1, driver CUDA 13.2"), a.toString());
    }

    @Test
    void missingDriverIsNamedFirstAndStopsTheProbes() {
        FakeProbes p = FakeProbes.working();
        p.driver = new UnsatisfiedLinkError("libcuda.so.1: cannot open shared object file: No such file or directory");
        p.tensorRt = new UnsatisfiedLinkError("never reached");
        TensorRtAvailability a = TensorRtAvailability.check(p);
        assertReason(a, "libcuda.so.1 does not load", "cannot open shared object file", "NVIDIA GPU with its driver",
                "use the CPU backend");
        assertEquals("driver ", p.calls.toString());
    }

    @Test
    void missingCudaRuntimeSaysHowToGetIt() {
        FakeProbes p = FakeProbes.working();
        p.cudaRuntime = new UnsatisfiedLinkError("no jnicudart in java.library.path\nmore detail");
        assertReason(TensorRtAvailability.check(p), "CUDA 13 runtime (libcudart.so.13", "no jnicudart",
                "-Ptensorrt-redist", "LD_LIBRARY_PATH");
        assertFalse(TensorRtAvailability.check(p).reason().contains("more detail"));
    }

    @Test
    void missingNvinferSaysHowToGetIt() {
        FakeProbes p = FakeProbes.working();
        p.tensorRt = new UnsatisfiedLinkError("libnvinfer.so.10: cannot open shared object file");
        assertReason(TensorRtAvailability.check(p), "libnvinfer.so.10", "does not load", "-Ptensorrt-redist",
                "README");
        assertEquals("driver cuda nvinfer ", p.calls.toString());
    }

    @Test
    void aClassThatFailedToInitialiseEarlierIsCaughtToo() {
        FakeProbes p = FakeProbes.working();
        p.tensorRt = new NoClassDefFoundError("Could not initialize class org.bytedeco.tensorrt.global.nvinfer");
        assertReason(TensorRtAvailability.check(p), "libnvinfer.so.10", "NoClassDefFoundError",
                "Could not initialize class");
    }

    @Test
    void missingOnnxParser() {
        FakeProbes p = FakeProbes.working();
        p.onnxParser = new UnsatisfiedLinkError("libnvonnxparser.so.10: cannot open shared object file");
        assertReason(TensorRtAvailability.check(p), "ONNX parser libnvonnxparser.so.10", "-Ptensorrt-redist");
    }

    @Test
    void tooOldDriver() {
        FakeProbes p = FakeProbes.working();
        p.driverVersion = 12040;
        assertReason(TensorRtAvailability.check(p), "driver is too old", "supports CUDA up to 12.4",
                "CUDA 13.1 is needed", "update the NVIDIA driver");
        p.driverVersion = 13010;
        p.runtimeVersion = 13020; // a newer runtime than the preset's (a system install) needs a newer driver still
        assertReason(TensorRtAvailability.check(p), "supports CUDA up to 13.1", "CUDA 13.2 is needed");
    }

    @Test
    void noDeviceOrDeviceQueryFailure() {
        FakeProbes p = FakeProbes.working();
        p.devices = List.of();
        assertReason(TensorRtAvailability.check(p), "no CUDA device is visible", "CUDA_VISIBLE_DEVICES");
        p.devicesError = new IllegalStateException("cudaGetDeviceCount: no CUDA-capable device is detected (100)");
        assertReason(TensorRtAvailability.check(p), "cannot list the GPUs", "(100)", "nvidia-smi");
    }

    @Test
    void maskrtCudaLibraryMissing() {
        FakeProbes p = FakeProbes.working();
        p.maskrtCuda = "maskrt CUDA library not loaded (built without nvcc, or not for this platform): no jniCudaNative";
        assertReason(TensorRtAvailability.check(p), "maskrt's own CUDA library cannot run", "built without nvcc",
                "nvcc 13");
    }

    @Test
    void thisMachineHasNoDriverAndProbingIsQuickAndSafe() {
        boolean driverInstalled = Files.exists(Path.of("/usr/lib/x86_64-linux-gnu/libcuda.so.1"))
                || Files.exists(Path.of("/usr/lib64/libcuda.so.1"));
        Assumptions.assumeFalse(driverInstalled, "an NVIDIA driver is installed here");
        long t0 = System.nanoTime();
        TensorRtAvailability a = TensorRtAvailability.probe();
        assertTrue((System.nanoTime() - t0) / 1e9 < 10, "probing took too long");
        assertReason(a, "libcuda.so.1 does not load");
        assertEquals(a.reason(), TensorRtAvailability.probe().reason(), "probed once, cached");
    }
}
