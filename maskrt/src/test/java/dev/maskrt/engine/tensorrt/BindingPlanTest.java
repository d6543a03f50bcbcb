package dev.maskrt.engine.tensorrt;

import dev.maskrt.config.TensorRtOptions;

import dev.maskrt.model.TinyPackages;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.maskrt.engine.ElementType;
import dev.maskrt.engine.OnnxRuntimeEngine;
import dev.maskrt.engine.OnnxRuntimeOptions;
import dev.maskrt.engine.TensorSpec;
import dev.maskrt.engine.GraphDeclaration;
import dev.maskrt.model.ModelManifest;
import dev.maskrt.error.InputFormatException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class BindingPlanTest {
    private static final ModelManifest TINY = TinyPackages.tiny();
    private static final ProfilePlan PROFILES = ProfilePlan.forGraphs(TINY.engineView(), TensorRtOptions.builder().batchSize(2).build());

    private static BindingPlan plan(GraphDeclaration g) {
        return BindingPlan.of(g, PROFILES.graph(g.file()));
    }

    @Test
    void backboneSlotsAndShapesPerProfile() {
        BindingPlan p = plan(TINY.backbone());
        List<BindingPlan.Binding> b = p.bindings();
        assertEquals(16, b.size());
        assertEquals("image", b.get(0).name());
        assertEquals(BindingPlan.Role.INPUT, b.get(0).role());
        assertEquals(List.of("p2", "p3", "p4", "p5", "p6"), b.subList(1, 6).stream().map(BindingPlan.Binding::name).toList());
        for (int i = 0; i < b.size(); i++) assertEquals(i, b.get(i).slot());
        assertTrue(b.subList(1, 16).stream().allMatch(x -> x.role() == BindingPlan.Role.OUTPUT));
        // image min [1,3,32,32] opt [2,3,320,448] max [2,3,512,512]
        assertArrayEquals(new long[] {2, 3, 512, 512}, p.binding("image").max());
        assertEquals(2L * 3 * 512 * 512 * 4, p.binding("image").maxBytes());
        assertArrayEquals(new long[] {2, 16, 128, 128}, p.binding("p2").max());
        assertArrayEquals(new long[] {2, 16, 80, 112}, p.binding("p2").opt());
        assertArrayEquals(new long[] {1, 16, 8, 8}, p.binding("p2").min());
        // p6 = ceil(H / 64): 32 -> 1, 320 -> 5, 448 -> 7, 512 -> 8
        assertArrayEquals(new long[] {1, 16, 1, 1}, p.binding("p6").min());
        assertArrayEquals(new long[] {2, 16, 5, 7}, p.binding("p6").opt());
        assertArrayEquals(new long[] {2, 12, 32, 32}, p.binding("rpn_deltas_p4").max()); // 512 / 16
        assertArrayEquals(new long[] {2, 3, 8, 8}, p.binding("rpn_logits_p6").max());
    }

    @Test
    void headsAndConcreteShapes() {
        BindingPlan box = plan(TINY.boxHeads().get(1));
        assertEquals(List.of("features", "class_logits", "box_deltas"),
                box.bindings().stream().map(BindingPlan.Binding::name).toList());
        assertArrayEquals(new long[] {2000, 16, 7, 7}, box.binding("features").max());
        assertArrayEquals(new long[] {2000, 4}, box.binding("class_logits").max());
        assertArrayEquals(new long[] {1, 4}, box.binding("box_deltas").min());
        BindingPlan mask = plan(TINY.maskHead());
        assertArrayEquals(new long[] {200, 3, 28, 28}, mask.binding("mask_logits").max());
        assertEquals(200L * 3 * 28 * 28 * 4, mask.binding("mask_logits").maxBytes());

        BindingPlan backbone = plan(TINY.backbone());
        Map<String, Long> s = backbone.symbolValues(Map.of("image", new long[] {1, 3, 352, 480}));
        assertEquals(Map.of("N", 1L, "H", 352L, "W", 480L), s);
        assertArrayEquals(new long[] {1, 16, 6, 8}, backbone.shape("p6", s)); // ceil(352/64) = 6, ceil(480/64) = 8
        assertArrayEquals(new long[] {1, 12, 88, 120}, backbone.shape("rpn_deltas_p2", s));
        assertArrayEquals(new long[] {37, 4}, box.shape("class_logits", box.symbolValues(Map.of("features", new long[] {37, 16, 7, 7}))));
    }

    @Test
    void inputsOutsideTheProfileAreRefused() {
        BindingPlan backbone = plan(TINY.backbone());
        IllegalArgumentException x = assertThrows(IllegalArgumentException.class,
                () -> backbone.symbolValues(Map.of("image", new long[] {3, 3, 320, 320})));
        assertTrue(x.getMessage().contains("outside backbone.onnx's optimisation profile"), x.getMessage());
        assertThrows(IllegalArgumentException.class, () -> backbone.symbolValues(Map.of("image", new long[] {1, 3, 544, 320})));
        assertThrows(IllegalArgumentException.class, () -> backbone.symbolValues(Map.of("image", new long[] {1, 3, 320})));
        assertThrows(IllegalArgumentException.class, () -> backbone.symbolValues(Map.of()));
        BindingPlan mask = plan(TINY.maskHead());
        assertThrows(IllegalArgumentException.class, () -> mask.symbolValues(Map.of("features", new long[] {201, 16, 14, 14})));
        assertThrows(IllegalArgumentException.class, () -> mask.binding("nope"));
        assertThrows(IllegalArgumentException.class, () -> BindingPlan.of(TINY.maskHead(), PROFILES.graph("backbone.onnx")));
    }

    @Test
    void everyPlanAgreesWithTheOnnxGraphsDeclaredIo() {
        for (GraphDeclaration g : TINY.graphs()) {
            try (OnnxRuntimeEngine onnx = OnnxRuntimeEngine.open(TinyPackages.TINY.resolve(g.file()),
                    OnnxRuntimeOptions.defaults().withIntraOpThreads(1))) {
                plan(g).checkAgainst(onnx.inputs(), onnx.outputs());
            }
        }
    }

    @Test
    void disagreementsWithTheGraphNameTheFileTensorAndAxis() {
        BindingPlan box;
        List<TensorSpec> in;
        List<TensorSpec> out;
        GraphDeclaration g = TINY.boxHeads().get(0);
        box = plan(g);
        try (OnnxRuntimeEngine onnx = OnnxRuntimeEngine.open(TinyPackages.TINY.resolve(g.file()),
                OnnxRuntimeOptions.defaults().withIntraOpThreads(1))) {
            in = onnx.inputs();
            out = onnx.outputs();
        }
        // an output missing / renamed
        assertRefused(box, in, out.subList(0, 1), "box_head_0.onnx", "outputs are [class_logits]");
        List<TensorSpec> renamed = new ArrayList<>(out);
        renamed.set(1, new TensorSpec("deltas", ElementType.FLOAT32, new long[] {-1, 4}, new String[] {"R", null}));
        assertRefused(box, in, renamed, "box_head_0.onnx", "deltas");
        // a graph with a fixed RoI count cannot serve a profile of 1..2000 RoIs
        List<TensorSpec> fixedR = List.of(new TensorSpec("features", ElementType.FLOAT32, new long[] {1000, 16, 7, 7}, null));
        assertRefused(box, fixedR, out, "box_head_0.onnx: input 'features' axis 0 is fixed at 1000", "1..2000");
        // a fixed size that differs
        List<TensorSpec> wrongPool = List.of(new TensorSpec("features", ElementType.FLOAT32, new long[] {-1, 16, 14, 14}, null));
        assertRefused(box, wrongPool, out, "input 'features' axis 2 is 14 in the graph but 7");
        // rank and type
        List<TensorSpec> rank3 = List.of(new TensorSpec("features", ElementType.FLOAT32, new long[] {-1, 16, 49}, null));
        assertRefused(box, rank3, out, "has shape [?, 16, 49]", "rank 4");
        List<TensorSpec> half = List.of(new TensorSpec("features", ElementType.FLOAT16, new long[] {-1, 16, 7, 7}, null));
        assertRefused(box, half, out, "FLOAT16", "float32");
        // outputs in another order are fine: bindings go by name
        box.checkAgainst(in, List.of(out.get(1), out.get(0)));
    }

    private static void assertRefused(BindingPlan p, List<TensorSpec> in, List<TensorSpec> out, String... parts) {
        InputFormatException x = assertThrows(InputFormatException.class, () -> p.checkAgainst(in, out));
        for (String part : parts) assertTrue(x.getMessage().contains(part), () -> "'" + x.getMessage() + "' lacks '" + part + "'");
    }
}
