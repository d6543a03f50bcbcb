package dev.maskrt.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.maskrt.image.ResizeShortestEdge;
import dev.maskrt.ops.cpu.CpuBoxTransform;
import dev.maskrt.ops.cpu.CpuMaskPaster;
import dev.maskrt.ops.cpu.CpuNms;
import dev.maskrt.output.CompactMask;
import dev.maskrt.util.Workers;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Base64;
import org.junit.jupiter.api.Test;

/**
 * maskrcnn-benchmark's legacy conventions in the CPU ops, on cases checked by hand (the "+1" box coder, clipping to
 * {@code W - 1}, {@code remove_small_boxes}, its NMS with {@code >=}, its anchors, LevelMapper and {@code Resize}) and
 * against the torch reference's goldens ({@code tools/reference/make_maskrcnn_benchmark_op_goldens.py}: Masker paste,
 * anchors of every FPN level).
 */
class MaskrcnnBenchmarkOpsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final BoxTransform boxes = new CpuBoxTransform();
    private final Nms nms = new CpuNms();

    @Test
    void decodesInclusiveBoxes() {
        float[] box = {0, 0, 9, 9}; // 10 x 10 pixels, centre (5, 5)
        assertArrayEquals(box, boxes.applyDeltasPlusOne(new float[4], box, new float[] {1, 1, 1, 1}, 4f));
        // dx = 0.1 of the width moves the centre by one pixel; dw = ln 2 doubles the width (20 pixels: 5 - 10 .. 5 + 10 - 1)
        assertArrayEquals(new float[] {1, 0, 10, 9},
                boxes.applyDeltasPlusOne(new float[] {0.1f, 0, 0, 0}, box, new float[] {1, 1, 1, 1}, 4f));
        float[] wide = boxes.applyDeltasPlusOne(new float[] {0, 0, (float) Math.log(2) * 5, 0}, box,
                new float[] {10, 10, 5, 5}, 4f);
        assertEquals(-5f, wide[0], 1e-5);
        assertEquals(14f, wide[2], 1e-5);
        // detectron2's decode of the same box differs: its width is 9, its right edge not shifted by -1
        assertArrayEquals(box, boxes.applyDeltas(new float[4], box, new float[] {1, 1, 1, 1}, 4f));
    }

    @Test
    void clipsToTheLastPixelAndDropsSmallBoxesByInclusiveWidth() {
        float[] b = {-3, 2, 20, 15, 5, 5, 5, 5};
        boxes.clipPlusOne(b, 10, 12);
        assertArrayEquals(new float[] {0, 2, 11, 9, 5, 5, 5, 5}, b);
        // a one-pixel box (x1 == x0) has width 1: kept at min size 1, dropped at 1.5
        assertArrayEquals(new int[] {0, 1}, boxes.minSizePlusOne(b, 1f));
        assertArrayEquals(new int[] {0}, boxes.minSizePlusOne(b, 1.5f));
        assertArrayEquals(new int[] {0}, boxes.nonEmpty(b, 0f)); // detectron2 calls it empty
    }

    @Test
    void suppressesAtIouGreaterOrEqualOnInclusiveAreasAndKeepsIndexOrder() {
        // areas 100 and 50 (inclusive), intersection 50: IoU exactly 0.5
        float[] b = {0, 0, 9, 9, 0, 0, 9, 4};
        assertArrayEquals(new int[] {0}, nms.nmsPlusOne(b, new float[] {0.9f, 0.8f}, 0.5f));
        assertArrayEquals(new int[] {0, 1}, nms.nmsPlusOne(b, new float[] {0.9f, 0.8f}, 0.51f));
        // continuous areas 81 and 36, intersection 36: IoU 0.444 < 0.5, kept by torchvision's rule
        assertArrayEquals(new int[] {0, 1}, nms.nms(b, new float[] {0.9f, 0.8f}, 0.5));
        // the survivors come back in index order (nonzero(suppressed == 0)), not in score order
        float[] apart = {0, 0, 1, 1, 10, 10, 11, 11, 20, 20, 21, 21};
        assertArrayEquals(new int[] {0, 1, 2}, nms.nmsPlusOne(apart, new float[] {0.1f, 0.9f, 0.5f}, 0.5f));
        // the higher score wins whatever its index
        float[] same = {0, 0, 9, 9, 0, 0, 9, 9};
        assertArrayEquals(new int[] {1}, nms.nmsPlusOne(same, new float[] {0.2f, 0.3f}, 0.7f));
        assertArrayEquals(new int[0], nms.nmsPlusOne(new float[0], new float[0], 0.5f));
    }

    @Test
    void cellAnchorsFollowGenerateAnchors() throws Exception {
        // stride 4, size 32: ratio 0.5 -> ws = round(sqrt(32)) = 6, hs = 3, times 8: 48 x 24 about (1.5, 1.5)
        assertArrayEquals(new float[] {-22, -10, 25, 13, -14, -14, 17, 17, -10, -22, 13, 25},
                Anchors.maskrcnnBenchmarkCellAnchors(4, new double[] {32}, new double[] {0.5, 1, 2}));
        JsonNode golden = JSON.readTree(Path.of("src/test/resources/ops/maskrcnn_benchmark/anchors.json").toFile());
        int[] strides = {4, 8, 16, 32, 64};
        for (int l = 0; l < 5; l++) {
            float[] got = Anchors.maskrcnnBenchmarkCellAnchors(strides[l], new double[] {32 << l},
                    new double[] {0.5, 1, 2});
            assertArrayEquals(floats(golden.get(String.valueOf(strides[l]))), got, "stride " + strides[l]);
        }
        float[] three = Anchors.maskrcnnBenchmarkCellAnchors(16, new double[] {128, 256, 512}, new double[] {0.5, 1, 2});
        assertArrayEquals(floats(golden.get("16x3")), three);
        // Detectron's well-known stride-16 anchors (anchor_generator.py's comment, there 1-based): (-84, -40, 99, 55)
        assertArrayEquals(new float[] {-84, -40, 99, 55}, java.util.Arrays.copyOf(three, 4));
    }

    @Test
    void levelMapperUsesInclusiveAreasAndItsEps() {
        LevelMapping mb = LevelMapping.maskrcnnBenchmark(224, 4, 1e-6);
        LevelMapping d2 = LevelMapping.detectron2(224, 4, 1e-8);
        // a 224-pixel inclusive box is canonical (level 4); detectron2 measures 223 and says level 3
        assertEquals(4, mb.level(0, 0, 223, 223, 2, 5));
        assertEquals(3, d2.level(0, 0, 223, 223, 2, 5));
        assertEquals(2, mb.level(0, 0, 0, 0, 2, 5)); // one pixel
        assertEquals(5, mb.level(0, 0, 999, 999, 2, 5));
        assertEquals("maskrcnn_benchmark", mb.formulaName());
    }

    @Test
    void resizesAsItsGetSize() {
        ResizeShortestEdge r = ResizeShortestEdge.maskrcnnBenchmark(800, 1333);
        // 640 x 480: long side int(800 * 640 / 480) = int(1066.67) = 1066 (detectron2: 1067)
        assertArrayEquals(new int[] {800, 1066}, r.outputSize(480, 640));
        assertArrayEquals(new int[] {800, 1067}, new ResizeShortestEdge(800, 1333).outputSize(480, 640));
        // over the limit: short side round(1333 * 200 / 1000) = 267, long int(267 * 1000 / 200) = 1335 (> 1333!)
        assertArrayEquals(new int[] {267, 1335}, r.outputSize(200, 1000));
        // Python's round is half to even: round(250 * 100 / 400 = 62.5) = 62
        assertArrayEquals(new int[] {62, 248}, ResizeShortestEdge.maskrcnnBenchmark(800, 250).outputSize(100, 400));
        // the short side already at the size: unchanged
        assertArrayEquals(new int[] {800, 1000}, r.outputSize(800, 1000));
        assertArrayEquals(new int[] {1200, 800}, ResizeShortestEdge.maskrcnnBenchmark(800, 2000).outputSize(1200, 800));
    }

    @Test
    void pastesAsItsMasker() throws Exception {
        JsonNode golden = JSON.readTree(Path.of("src/test/resources/ops/maskrcnn_benchmark/paste.json").toFile());
        float threshold = (float) golden.get("threshold").asDouble();
        int differing = 0, pixels = 0;
        try (Workers workers = new Workers(2)) {
            MaskPaster paster = new CpuMaskPaster(workers);
            for (JsonNode c : golden.get("cases")) {
                int h = c.get("height").asInt(), w = c.get("width").asInt();
                float[] mask = new float[28 * 28];
                ByteBuffer.wrap(Base64.getDecoder().decode(c.get("mask").asText())).order(ByteOrder.LITTLE_ENDIAN)
                        .asFloatBuffer().get(mask);
                CompactMask got = paster.pasteMasker(mask, 28, 28, floats(c.get("box")), h, w, threshold)[0];
                byte[] expected = new byte[h * w];
                int p = 0;
                boolean on = false;
                for (JsonNode run : c.get("runs")) {
                    for (int k = 0; k < run.asInt(); k++) expected[p++] = (byte) (on ? 1 : 0);
                    on = !on;
                }
                for (int y = 0; y < h; y++) {
                    for (int x = 0; x < w; x++) {
                        if (got.get(x, y) != (expected[y * w + x] == 1)) differing++;
                    }
                }
                pixels += h * w;
            }
        }
        // torch's upsample_bilinear2d is reproduced op for op: every pixel of every case agrees
        assertEquals(0, differing, differing + " of " + pixels + " pixels differ");
    }

    @Test
    void refusesBadArgumentsLikeTheOtherVariants() {
        assertThrows(IllegalArgumentException.class, () -> boxes.applyDeltasPlusOne(new float[3], new float[4],
                new float[] {1, 1, 1, 1}, 1f));
        assertThrows(IllegalArgumentException.class, () -> nms.nmsPlusOne(new float[] {0, 0, 1, Float.NaN},
                new float[] {1}, 0.5f));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> boxes.clipPlusOne(new float[4], -1, 3))
                .getMessage().contains("imageHeight"));
    }

    private static float[] floats(JsonNode a) {
        float[] out = new float[a.size()];
        for (int i = 0; i < out.length; i++) out[i] = (float) a.get(i).asDouble();
        return out;
    }
}
