package dev.maskrt.engine.tensorrt;

import dev.maskrt.config.Precision;

import dev.maskrt.config.TensorRtOptions;

import dev.maskrt.model.TinyPackages;

import static dev.maskrt.model.TinyPackages.at;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.maskrt.model.ModelManifest;
import dev.maskrt.model.ModelPackage;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProfilePlanTest {
    @TempDir
    Path tmp;

    private static ShapeRange input(ProfilePlan plan, String graph, String tensor) {
        return plan.graph(graph).inputs().get(tensor);
    }

    private static void assertRange(ShapeRange r, long[] min, long[] opt, long[] max) {
        assertArrayEquals(min, r.min(), "min " + r);
        assertArrayEquals(opt, r.opt(), "opt " + r);
        assertArrayEquals(max, r.max(), "max " + r);
    }

    @Test
    void tinyPackageAtBatchOne() {
        // tiny: test size 320/512, divisibility 32, post_nms_topk 1000, detections 100, FPN 16 channels
        ProfilePlan plan = ProfilePlan.forGraphs(TinyPackages.tiny().engineView(), TensorRtOptions.defaults());
        assertEquals(List.of("backbone.onnx", "box_head_0.onnx", "box_head_1.onnx", "box_head_2.onnx", "mask_head.onnx"),
                plan.graphs().stream().map(GraphProfile::graphFile).toList());
        // opt: 4:3 landscape at short side 320 -> 320 x round(426.67) = 427 -> padded 448
        assertRange(input(plan, "backbone.onnx", "image"), new long[] {1, 3, 32, 32}, new long[] {1, 3, 320, 448},
                new long[] {1, 3, 512, 512});
        for (int k = 0; k < 3; k++) {
            assertRange(input(plan, "box_head_" + k + ".onnx", "features"), new long[] {1, 16, 7, 7},
                    new long[] {1000, 16, 7, 7}, new long[] {1000, 16, 7, 7});
        }
        assertRange(input(plan, "mask_head.onnx", "features"), new long[] {1, 16, 14, 14},
                new long[] {100, 16, 14, 14}, new long[] {100, 16, 14, 14});
        assertArrayEquals(new long[] {32, 320, 512}, plan.graph("backbone.onnx").symbols().get("H"));
        assertArrayEquals(new long[] {1, 1000, 1000}, plan.graph("box_head_1.onnx").symbols().get("R"));
    }

    @Test
    void batchSizeMultipliesImagesAndRois() {
        ProfilePlan plan = ProfilePlan.forGraphs(TinyPackages.tiny().engineView(), TensorRtOptions.builder().batchSize(8).build());
        assertRange(input(plan, "backbone.onnx", "image"), new long[] {1, 3, 32, 32}, new long[] {8, 3, 320, 448},
                new long[] {8, 3, 512, 512});
        assertArrayEquals(new long[] {8000, 16, 7, 7}, input(plan, "box_head_2.onnx", "features").max());
        assertArrayEquals(new long[] {800, 16, 14, 14}, input(plan, "mask_head.onnx", "features").max());
        assertEquals(8, plan.batchSize());
        ProfilePlan more = ProfilePlan.forGraphs(TinyPackages.tiny().engineView(),
                TensorRtOptions.builder().batchSize(2).detectionsPerImage(300).build());
        assertArrayEquals(new long[] {600, 16, 14, 14}, input(more, "mask_head.onnx", "features").max());
        ProfilePlan all = ProfilePlan.forGraphs(TinyPackages.tiny().engineView(), TensorRtOptions.builder().detectionsPerImage(-1).build());
        assertArrayEquals(new long[] {3000, 16, 14, 14}, input(all, "mask_head.onnx", "features").max());
    }

    @Test
    void detectron2CocoSizesAndTta() {
        // 800/1333: opt 800 x min(1333, 1067) -> 800 x 1088; max side 1333 -> 1344
        TensorRtOptions coco = TensorRtOptions.builder().minSizeTest(800).maxSizeTest(1333).build();
        assertRange(input(ProfilePlan.forGraphs(TinyPackages.tiny().engineView(), coco), "backbone.onnx", "image"),
                new long[] {1, 3, 32, 32}, new long[] {1, 3, 800, 1088}, new long[] {1, 3, 1344, 1344});
        // the seeds' TTA: short sides up to 1040, max 1408 (already a multiple of 32); opt stays at the test size
        TensorRtOptions tta = coco.toBuilder().tta(new int[] {650, 780, 910, 1040}, 1408).build();
        assertRange(input(ProfilePlan.forGraphs(TinyPackages.tiny().engineView(), tta), "backbone.onnx", "image"),
                new long[] {1, 3, 32, 32}, new long[] {1, 3, 800, 1088}, new long[] {1, 3, 1408, 1408});
        // a short side above the max size: both sides end at most at the max size
        TensorRtOptions big = TensorRtOptions.builder().minSizeTest(1000).maxSizeTest(600).build();
        assertRange(input(ProfilePlan.forGraphs(TinyPackages.tiny().engineView(), big), "backbone.onnx", "image"),
                new long[] {1, 3, 32, 32}, new long[] {1, 3, 608, 608}, new long[] {1, 3, 608, 608});
    }

    @Test
    void keepAllDetectionsPlansForEveryNmsSurvivor() throws Exception {
        Path dir = TinyPackages.edited(tmp.resolve("all"), r -> {
            at(r, "roi_heads").put("detections_per_image", -1);
            at(r, "rpn").put("post_nms_topk", 500);
        });
        ModelManifest m = ModelPackage.readManifest(dir);
        ProfilePlan plan = ProfilePlan.forGraphs(m.engineView(), TensorRtOptions.builder().batchSize(2).build());
        assertArrayEquals(new long[] {500 * 3 * 2, 16, 14, 14}, input(plan, "mask_head.onnx", "features").max());
        assertArrayEquals(new long[] {1000, 16, 7, 7}, input(plan, "box_head_0.onnx", "features").max());
    }

    @Test
    void sartoriusLikeManifest() throws Exception {
        // cell images: 1000 detections per image, short side 1024, max 1333, divisibility 32
        Path dir = TinyPackages.edited(tmp.resolve("cells"), r -> {
            at(r, "roi_heads").put("detections_per_image", 1000);
            at(r, "input").put("min_size_test", 1024).put("max_size_test", 1333);
            at(r, "rpn").put("post_nms_topk", 3000);
        });
        ProfilePlan plan = ProfilePlan.forGraphs(ModelPackage.readManifest(dir).engineView(), TensorRtOptions.defaults());
        assertRange(input(plan, "backbone.onnx", "image"), new long[] {1, 3, 32, 32},
                new long[] {1, 3, 1024, 1344}, new long[] {1, 3, 1344, 1344});
        assertArrayEquals(new long[] {3000, 16, 7, 7}, input(plan, "box_head_0.onnx", "features").opt());
        assertArrayEquals(new long[] {1000, 16, 14, 14}, input(plan, "mask_head.onnx", "features").max());
    }

    @Test
    void noResizeNeedsMaxImageSide() throws Exception {
        Path dir = TinyPackages.edited(tmp.resolve("noresize"), r -> at(r, "input").put("min_size_test", 0));
        ModelManifest m = ModelPackage.readManifest(dir);
        IllegalArgumentException x = assertThrows(IllegalArgumentException.class,
                () -> ProfilePlan.forGraphs(m.engineView(), TensorRtOptions.defaults()));
        assertTrue(x.getMessage().contains("min_size_test is 0") && x.getMessage().contains("maxImageSide"), x.getMessage());
        ProfilePlan plan = ProfilePlan.forGraphs(m.engineView(), TensorRtOptions.builder().maxImageSide(700).build());
        assertRange(input(plan, "backbone.onnx", "image"), new long[] {1, 3, 32, 32}, new long[] {1, 3, 704, 704},
                new long[] {1, 3, 704, 704});
    }

    @Test
    void fixedBatchAxisThatCannotHoldTheBatchIsRefused() throws Exception {
        Path dir = TinyPackages.edited(tmp.resolve("fixedN"), r -> {
            var shape = (com.fasterxml.jackson.databind.node.ArrayNode) at(r, "graphs", "backbone", "inputs", "image").get("shape");
            shape.set(0, 1);
        });
        ModelManifest m = ModelPackage.readManifest(dir);
        ProfilePlan one = ProfilePlan.forGraphs(m.engineView(), TensorRtOptions.defaults());
        assertRange(input(one, "backbone.onnx", "image"), new long[] {1, 3, 32, 32}, new long[] {1, 3, 320, 448},
                new long[] {1, 3, 512, 512});
        IllegalArgumentException x = assertThrows(IllegalArgumentException.class,
                () -> ProfilePlan.forGraphs(m.engineView(), TensorRtOptions.builder().batchSize(2).build()));
        assertTrue(x.getMessage().contains("backbone.onnx") && x.getMessage().contains("fixed at 1"), x.getMessage());
    }

    @Test
    void profilesAreCanonicalAndComparable() {
        ProfilePlan a = ProfilePlan.forGraphs(TinyPackages.tiny().engineView(), TensorRtOptions.defaults());
        ProfilePlan b = ProfilePlan.forGraphs(TinyPackages.tiny().engineView(), TensorRtOptions.builder().precision(Precision.FP16).build());
        ProfilePlan c = ProfilePlan.forGraphs(TinyPackages.tiny().engineView(), TensorRtOptions.builder().batchSize(2).build());
        assertEquals(a.graph("backbone.onnx").canonicalText(), b.graph("backbone.onnx").canonicalText());
        assertNotEquals(a.graph("backbone.onnx").canonicalText(), c.graph("backbone.onnx").canonicalText());
        assertEquals("backbone.onnx: image min [1, 3, 32, 32] opt [1, 3, 320, 448] max [1, 3, 512, 512];",
                a.graph("backbone.onnx").canonicalText());
        assertThrows(IllegalArgumentException.class, () -> a.graph("nope.onnx"));
        assertThrows(IllegalArgumentException.class, () -> ProfilePlan.forGraphs(null, TensorRtOptions.defaults()));
    }

    @Test
    void shapeRangeChecksItsArguments() {
        assertThrows(IllegalArgumentException.class, () -> new ShapeRange(new long[] {2}, new long[] {1}, new long[] {3}));
        assertThrows(IllegalArgumentException.class, () -> new ShapeRange(new long[] {1}, new long[] {1, 1}, new long[] {3}));
        ShapeRange r = new ShapeRange(new long[] {1, 4}, new long[] {2, 4}, new long[] {3, 4});
        assertTrue(r.contains(new long[] {3, 4}));
        assertTrue(!r.contains(new long[] {4, 4}) && !r.contains(new long[] {0, 4}) && !r.contains(new long[] {1}));
    }
}
