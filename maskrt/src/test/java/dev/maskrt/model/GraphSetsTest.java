package dev.maskrt.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.maskrt.config.Precision;
import dev.maskrt.engine.Engine;
import dev.maskrt.engine.GraphDeclaration;
import dev.maskrt.engine.HostTensor;
import dev.maskrt.error.InputFormatException;
import dev.maskrt.util.Npy;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The manifest's {@code graph_sets} (the int8 graphs made by {@code tools/quantize}): reading, refusals naming the
 * field, {@link ModelManifest#forPrecision}, and the committed tiny int8 graphs run by ONNX Runtime (Java) against
 * ONNX Runtime's Python output ({@code tools/reference/make_tiny_int8.py}).
 */
class GraphSetsTest {
    static final Path TINY_INT8 = Path.of("src/test/resources/models/tiny-int8");

    @TempDir
    Path tmp;

    @Test
    void readsTheInt8GraphSet() {
        ModelManifest m = ModelPackage.readManifest(TINY_INT8);
        GraphSet set = m.graphSets().get(Precision.INT8);
        assertEquals(Precision.INT8, set.precision());
        assertEquals("backbone.int8.onnx", set.backbone().file());
        assertEquals("graph_sets.int8.box_heads[2]", set.boxHeads().get(2).field());
        assertEquals("mask_head.int8.onnx", set.maskHead().file());
        assertEquals(List.of(Precision.INT8, Precision.INT8, Precision.INT8, Precision.INT8, Precision.INT8),
                set.graphPrecisions());
        // the int8 graphs keep the fp32 graphs' declared inputs and outputs
        assertEquals(m.backbone().outputs(), set.backbone().outputs());
        assertEquals(m.maskHead().inputs(), set.maskHead().inputs());

        ModelManifest int8 = m.forPrecision(Precision.INT8);
        assertEquals(List.of("backbone.int8.onnx", "box_head_0.int8.onnx", "box_head_1.int8.onnx",
                "box_head_2.int8.onnx", "mask_head.int8.onnx"), int8.graphs().stream().map(GraphDeclaration::file).toList());
        assertEquals(m.roiHeads(), int8.roiHeads());
        assertSame(m, m.forPrecision(Precision.FP32));
        assertTrue(TinyPackages.tiny().graphSets().isEmpty()); // a package exported without int8 graphs
    }

    @Test
    void aPackageWithoutInt8GraphsIsRefusedNamingIt() {
        ModelManifest fp32Only = TinyPackages.tiny();
        InputFormatException e = assertThrows(InputFormatException.class, () -> fp32Only.forPrecision(Precision.INT8));
        assertTrue(e.getMessage().contains(TinyPackages.TINY.resolve("manifest.json").toString()), e.getMessage());
        assertTrue(e.getMessage().contains("'graph_sets.int8'"), e.getMessage());
        assertTrue(e.getMessage().contains("has no int8 graphs"), e.getMessage());
        assertTrue(e.getMessage().contains(TinyPackages.TINY.toAbsolutePath().toString()), e.getMessage());
        assertTrue(e.getMessage().contains("tools.quantize"), e.getMessage());
    }

    @Test
    void refusesMalformedGraphSetsNamingTheField() throws IOException {
        Object[][] cases = {
                {(Consumer<ObjectNode>) r -> r.put("graph_sets", "int8"), "'graph_sets'", "expected an object"},
                {(Consumer<ObjectNode>) r -> sets(r).set("fp16", sets(r).get("int8")), "'graph_sets.fp16'",
                        "unknown graph set \"fp16\""},
                {(Consumer<ObjectNode>) r -> int8(r).remove("backbone"), "'graph_sets.int8.backbone'", "missing"},
                {(Consumer<ObjectNode>) r -> ((ArrayNode) int8(r).get("box_heads")).remove(2),
                        "'graph_sets.int8.box_heads'", "2 box heads for 3"},
                {(Consumer<ObjectNode>) r -> ((ObjectNode) int8(r).get("mask_head")).put("precision", "int4"),
                        "'graph_sets.int8.mask_head.precision'", "expected \"int8\" or \"fp32\", got \"int4\""},
                {(Consumer<ObjectNode>) r -> ((ObjectNode) int8(r).get("mask_head")).remove("precision"),
                        "'graph_sets.int8.mask_head.precision'", "missing"},
                {(Consumer<ObjectNode>) r -> ((ObjectNode) ((ArrayNode) int8(r).get("box_heads")).get(1)).put("file", "x.onnx"),
                        "'graph_sets.int8.box_heads[1].file'", "not found"},
                {(Consumer<ObjectNode>) r -> ((ObjectNode) ((ArrayNode) int8(r).get("box_heads")).get(0)).put("file", 7),
                        "'graph_sets.int8.box_heads[0].file'", "expected a string"},
                {(Consumer<ObjectNode>) GraphSetsTest::allFp32, "'graph_sets.int8'", "no graph has precision \"int8\""},
        };
        int i = 0;
        for (Object[] c : cases) {
            @SuppressWarnings("unchecked")
            Consumer<ObjectNode> edit = (Consumer<ObjectNode>) c[0];
            Path dir = edited(tmp.resolve("case" + i++), edit);
            InputFormatException e = assertThrows(InputFormatException.class, () -> ModelPackage.readManifest(dir));
            assertTrue(e.getMessage().contains(dir.resolve("manifest.json").toString()), e.getMessage());
            assertTrue(e.getMessage().contains((String) c[1]), e.getMessage());
            assertTrue(e.getMessage().contains((String) c[2]), e.getMessage());
        }
    }

    @Test
    void aGraphLeftInFloat32IsDeclaredSo() throws IOException {
        Path dir = edited(tmp.resolve("mixed"), r -> {
            ObjectNode mask = (ObjectNode) int8(r).get("mask_head");
            mask.put("file", "mask_head.onnx").put("precision", "fp32");
        });
        GraphSet set = ModelPackage.readManifest(dir).graphSets().get(Precision.INT8);
        assertEquals(Precision.FP32, set.graphPrecisions().get(4));
        assertEquals("mask_head.onnx", set.maskHead().file());
    }

    @Test
    void graphOfADifferentInterfaceIsRefusedWhenLoaded() throws IOException {
        // an int8 set whose backbone file is a box head: the engine check names the graph_sets field
        Path dir = edited(tmp.resolve("wrong"), r -> ((ObjectNode) int8(r).get("backbone")).put("file",
                "box_head_0.int8.onnx"));
        ModelManifest m = ModelPackage.readManifest(dir).forPrecision(Precision.INT8);
        InputFormatException e = assertThrows(InputFormatException.class,
                () -> ModelPackage.load(dir, m, EngineFactory.forBackend(dev.maskrt.config.Backend.CPU)).close());
        assertTrue(e.getMessage().contains("box_head_0.int8.onnx"), e.getMessage());
    }

    /**
     * The int8 graphs give, in ONNX Runtime for Java (1.29), the outputs ONNX Runtime's Python build (1.30) gave for
     * the same inputs. Both run the same MLAS int8 kernels; the outputs are float32 layers on dequantized
     * activations, so they agree to float rounding unless an activation lands on a rounding boundary of its uint8
     * grid, which moves an output by one quantization step times a weight: tolerance 1e-3 of the output's range.
     */
    @Test
    void int8GraphsMatchOnnxRuntimePythonOutputs() throws IOException {
        Map<String, Npy.Array> golden = Npy.readArchive(TINY_INT8.resolve("golden/int8.npz"));
        ModelManifest m = ModelPackage.readManifest(TINY_INT8).forPrecision(Precision.INT8);
        try (ModelPackage p = ModelPackage.load(TINY_INT8, m, EngineFactory.forBackend(dev.maskrt.config.Backend.CPU))) {
            check(golden, "backbone", p.backbone(), "image");
            for (int k = 0; k < 3; k++) check(golden, "box_head_" + k, p.boxHead(k), "features");
            check(golden, "mask_head", p.maskHead(), "features");
        }
    }

    private static void check(Map<String, Npy.Array> golden, String graph, Engine engine, String input) {
        Npy.Array x = golden.get(graph + "." + input);
        Map<String, HostTensor> out = engine.run(Map.of(input,
                HostTensor.wrap(x.asFloats(), Arrays.stream(x.shape()).asLongStream().toArray())));
        int checked = 0;
        for (Map.Entry<String, HostTensor> e : out.entrySet()) {
            Npy.Array want = golden.get(graph + "." + e.getKey());
            if (want == null) throw new AssertionError(graph + "." + e.getKey() + ": no golden");
            float[] w = want.asFloats(), g = e.getValue().toArray();
            assertEquals(w.length, g.length, graph + "." + e.getKey());
            double range = 0;
            for (float v : w) range = Math.max(range, Math.abs(v));
            double tol = 1e-3 * Math.max(range, 1e-6);
            for (int i = 0; i < w.length; i++) {
                assertTrue(Math.abs(w[i] - g[i]) <= tol, graph + "." + e.getKey() + "[" + i + "]: python "
                        + w[i] + ", java " + g[i] + " (tolerance " + tol + ")");
            }
            checked++;
        }
        assertEquals(engine.outputs().size(), checked);
    }

    // ---- edited copies of the tiny int8 package

    private static ObjectNode sets(ObjectNode root) {
        return (ObjectNode) root.get("graph_sets");
    }

    private static ObjectNode int8(ObjectNode root) {
        return (ObjectNode) sets(root).get("int8");
    }

    private static void allFp32(ObjectNode root) {
        ObjectNode s = int8(root);
        ((ObjectNode) s.get("backbone")).put("precision", "fp32");
        ((ArrayNode) s.get("box_heads")).forEach(b -> ((ObjectNode) b).put("precision", "fp32"));
        ((ObjectNode) s.get("mask_head")).put("precision", "fp32");
    }

    static Path edited(Path dir, Consumer<ObjectNode> edit) throws IOException {
        return TinyPackages.edited(TINY_INT8, dir, edit);
    }
}
