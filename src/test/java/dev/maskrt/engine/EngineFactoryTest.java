package dev.maskrt.engine;

import dev.maskrt.util.InputFormatException;
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

    @Test
    void tensorRtFailsAtOnceSayingWhatItNeeds() {
        BackendUnavailableException x = assertThrows(BackendUnavailableException.class,
                () -> EngineFactory.forBackend(Backend.TENSORRT));
        String m = x.getMessage();
        assertTrue(m.contains("TensorRT backend is not available in this build"), m);
        assertTrue(m.contains("tensorrt") && m.contains("cuda") && m.contains("NVIDIA GPU"), m);
    }

    @Test
    void autoPicksCpuAndLogsWhyOnce() {
        PrintStream saved = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        EngineFactory f;
        try {
            f = EngineFactory.forBackend(Backend.AUTO, TWO_THREADS);
        } finally {
            System.setErr(saved);
        }
        assertEquals(Backend.CPU, f.backend());
        String log = captured.toString(StandardCharsets.UTF_8);
        assertEquals(1, log.lines().filter(l -> l.contains("Backend AUTO: using CPU")).count(), log);
        assertTrue(log.contains("no TensorRT backend"), log);
        try (Engine e = f.open(resource("conv_relu.onnx"))) {
            assertEquals("image", e.inputs().get(0).name());
        }
    }

    @Test
    void badArgumentsAndFilesAreRefused(@TempDir Path dir) {
        assertThrows(IllegalArgumentException.class, () -> EngineFactory.forBackend(null));
        assertThrows(IllegalArgumentException.class, () -> EngineFactory.forBackend(Backend.CPU, null));
        Path missing = dir.resolve("box_head_9.onnx");
        InputFormatException x = assertThrows(InputFormatException.class,
                () -> EngineFactory.forBackend(Backend.CPU).open(missing));
        assertTrue(x.getMessage().contains(missing.toString()), x.getMessage());
    }
}
