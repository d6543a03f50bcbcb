package dev.maskrt.engine;

import dev.maskrt.model.EngineFactory;

import dev.maskrt.config.Backend;

import dev.maskrt.error.BackendUnavailableException;

import dev.maskrt.engine.tensorrt.GpuDevice;
import dev.maskrt.engine.tensorrt.NativeProbes;
import dev.maskrt.engine.tensorrt.TensorRtAvailability;
import dev.maskrt.config.TensorRtOptions;
import dev.maskrt.error.InputFormatException;
import org.junit.jupiter.api.Assumptions;
import dev.maskrt.util.Npy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;

import static dev.maskrt.engine.EngineGoldens.assertMatches;
import static dev.maskrt.engine.EngineGoldens.golden;
import static dev.maskrt.engine.EngineGoldens.inputs;
import static dev.maskrt.engine.EngineGoldens.resource;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class EngineFactoryTest {
    private static final OnnxRuntimeOptions TWO_THREADS = OnnxRuntimeOptions.defaults().withIntraOpThreads(2);

    @Test
    void cpuOpensGraphsOnOnnxRuntimeWithTheGivenOptions() {
        EngineFactory f = EngineFactory.forBackend(Backend.CPU, TWO_THREADS);
        assertEquals(Backend.CPU, f.backend());
        Map<String, Npy.Array> g = golden("box_head_37");
        try (Engine e = f.open(resource("box_head.onnx"))) {
            OnnxRuntimeEngine ort = assertInstanceOf(OnnxRuntimeEngine.class, e);
            assertEquals(2, ort.options().intraOpThreads());
            assertMatches(g, e.run(inputs(g, false, "rois")), 1e-5, "scores", "deltas");
        }
    }

    private static final TensorRtAvailability NO_DRIVER = TensorRtAvailability.check(new NativeProbesStub());

    @Test
    void tensorRtFailsAtOnceSayingWhatIsMissing() {
        BackendUnavailableException x = assertThrows(BackendUnavailableException.class,
                () -> EngineFactory.forBackend(Backend.TENSORRT, TWO_THREADS, TensorRtOptions.defaults(), NO_DRIVER));
        assertEquals(NO_DRIVER.reason(), x.getMessage());
        assertTrue(x.getMessage().contains("libcuda.so.1"), x.getMessage());
    }

    @Test
    void tensorRtOnThisMachineFailsWithTheProbedReason() {
        TensorRtAvailability here = TensorRtAvailability.probe();
        Assumptions.assumeFalse(here.isAvailable(), "TensorRT runs here");
        BackendUnavailableException x = assertThrows(BackendUnavailableException.class,
                () -> EngineFactory.forBackend(Backend.TENSORRT));
        assertEquals(here.reason(), x.getMessage());
        assertTrue(x.getMessage().startsWith(TensorRtAvailability.PREFIX), x.getMessage());
    }

    @Test
    void autoPicksCpuAndLogsWhyOnce() {
        PrintStream saved = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        EngineFactory f;
        try {
            f = EngineFactory.forBackend(Backend.AUTO, TWO_THREADS, TensorRtOptions.defaults(), NO_DRIVER);
        } finally {
            System.setErr(saved);
        }
        assertEquals(Backend.CPU, f.backend());
        String log = captured.toString(StandardCharsets.UTF_8);
        assertEquals(1, log.lines().count(), log);
        assertEquals(1, log.lines().filter(l -> l.contains("Backend AUTO: using CPU (ONNX Runtime, 2 intra-op threads) "
                + "because " + NO_DRIVER.reason())).count(), log);
        try (Engine e = f.open(resource("conv_relu.onnx"))) {
            assertEquals("image", e.inputs().get(0).name());
        }
    }

    /** Probes of a machine without the NVIDIA driver. */
    private static final class NativeProbesStub implements NativeProbes {
        @Override public void loadDriver() { throw new UnsatisfiedLinkError("libcuda.so.1: cannot open shared object file"); }
        @Override public int[] cudaVersions() { throw new AssertionError("not reached"); }
        @Override public int tensorRtVersion() { throw new AssertionError("not reached"); }
        @Override public int onnxParserVersion() { throw new AssertionError("not reached"); }
        @Override public java.util.List<GpuDevice> devices() { throw new AssertionError("not reached"); }
        @Override public String maskrtCudaProblem() { throw new AssertionError("not reached"); }
    }

    @Test
    void badArgumentsAndFilesAreRefused(@TempDir Path dir) {
        assertThrows(IllegalArgumentException.class, () -> EngineFactory.forBackend(null));
        assertThrows(IllegalArgumentException.class, () -> EngineFactory.forBackend(Backend.CPU, null));
        assertThrows(IllegalArgumentException.class,
                () -> EngineFactory.forBackend(Backend.AUTO, TWO_THREADS, TensorRtOptions.defaults(), null));
        Path missing = dir.resolve("box_head_9.onnx");
        InputFormatException x = assertThrows(InputFormatException.class,
                () -> EngineFactory.forBackend(Backend.CPU).open(missing));
        assertTrue(x.getMessage().contains(missing.toString()), x.getMessage());
    }
}
