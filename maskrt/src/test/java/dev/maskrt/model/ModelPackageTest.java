package dev.maskrt.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.maskrt.image.ChannelFormat;
import dev.maskrt.error.InputFormatException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelPackageTest {
    static final Path TINY = Path.of("src/test/resources/models/tiny");
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    @Test
    void loadsTheTinyPackage() {
        try (ModelPackage p = ModelPackage.load(TINY)) {
            ModelManifest m = p.manifest();
            assertEquals(3, m.numClasses());
            assertEquals(java.util.List.of("cell", "debris", "blob"), m.classNames());
            assertEquals(ChannelFormat.BGR, m.input().format());
            assertEquals(320, m.input().minSizeTest());
            assertEquals(512, m.input().maxSizeTest());
            assertEquals(5, m.anchors().levels());
            assertEquals(3, m.anchors().anchorsPerCell());
            assertEquals("p6", m.anchors().featureName(4));
            assertEquals(3, m.roiHeads().stages());
            assertEquals(30f, m.roiHeads().stageWeights(2)[0]);
            assertEquals(0.05f, m.roiHeads().scoreThreshold());
            assertEquals(7, m.roiHeads().boxPooler().resolution());
            assertTrue(m.roiHeads().maskPooler().aligned());
            assertEquals(16, p.fpnChannels());
            assertEquals(2, p.boxHead(1).outputs().size());
        }
    }

    /** A copy of the tiny package in a temp dir, with the manifest edited by {@code edit}. */
    private Path brokenCopy(Consumer<ObjectNode> edit) throws IOException {
        return TinyPackages.edited(tmp.resolve("pkg"), edit);
    }

    private void assertRefused(Path dir, String... parts) {
        InputFormatException e = assertThrows(InputFormatException.class, () -> ModelPackage.load(dir).close());
        for (String part : parts) {
            assertTrue(e.getMessage().contains(part), () -> "message '" + e.getMessage() + "' lacks '" + part + "'");
        }
    }

    private static ObjectNode at(ObjectNode root, String... path) {
        ObjectNode n = root;
        for (String p : path) n = (ObjectNode) n.get(p);
        return n;
    }

    @Test
    void refusesAMissingDirectoryOrManifest() throws IOException {
        assertRefused(tmp.resolve("nowhere"), "nowhere", "not a model package");
        Path dir = brokenCopy(r -> {});
        Files.delete(dir.resolve("manifest.json"));
        assertRefused(dir, "manifest.json", "no such file");
    }

    @Test
    void refusesInvalidJson() throws IOException {
        Path dir = brokenCopy(r -> {});
        Files.writeString(dir.resolve("manifest.json"), "{\"format_version\": 1,");
        assertRefused(dir, "manifest.json", "not valid JSON");
    }

    @Test
    void refusesAnUnknownFormatVersion() throws IOException {
        assertRefused(brokenCopy(r -> r.put("format_version", 2)), "manifest.json", "'format_version'", "2");
    }

    @Test
    void refusesUnknownAndUnsupportedFlavours() throws IOException {
        assertRefused(brokenCopy(r -> r.put("flavour", "yolo")), "'flavour'", "unknown flavour \"yolo\"");
        Files.walk(tmp).sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        assertRefused(brokenCopy(r -> r.put("flavour", "mmdetection")), "'conventions'",
                "a mmdetection package must record its conventions");
    }

    @Test
    void refusesAMissingField() throws IOException {
        assertRefused(brokenCopy(r -> at(r, "roi_heads").remove("score_thresh")), "manifest.json",
                "'roi_heads.score_thresh'", "missing");
        Files.walk(tmp).sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        assertRefused(brokenCopy(r -> at(r, "roi_heads", "box_pooler").remove("resolution")),
                "'roi_heads.box_pooler.resolution'", "missing");
    }

    @Test
    void refusesIllTypedFields() throws IOException {
        assertRefused(brokenCopy(r -> at(r, "roi_heads").put("score_thresh", "high")),
                "'roi_heads.score_thresh'", "expected a number", "high");
        Files.walk(tmp).sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        assertRefused(brokenCopy(r -> at(r, "rpn").put("pre_nms_topk", 10.5)), "'rpn.pre_nms_topk'",
                "expected an integer");
        Files.walk(tmp).sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        assertRefused(brokenCopy(r -> ((ArrayNode) at(r, "input").get("pixel_mean")).remove(2)),
                "'input.pixel_mean'", "expected 3 numbers");
        Files.walk(tmp).sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        assertRefused(brokenCopy(r -> at(r, "input").put("format", "YUV")), "'input.format'", "YUV");
        Files.walk(tmp).sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        assertRefused(brokenCopy(r -> at(r, "roi_heads").put("mask_cls_agnostic", 0)),
                "'roi_heads.mask_cls_agnostic'", "expected true or false");
    }

    @Test
    void readsTestAugAndTakesDetectron2sDefaultsWhenAbsent() {
        TestAugSettings none = TinyPackages.tiny().testAug(); // exported before test_aug existed
        assertEquals(TestAugSettings.DETECTRON2_DEFAULTS, none);
        assertFalse(none.enabled());
        TestAugSettings t = ModelPackage.readManifest(Path.of("src/test/resources/models/tiny-tta")).testAug();
        assertTrue(t.enabled());
        assertArrayEquals(new int[] {160, 224}, t.minSizes());
        assertEquals(320, t.maxSize());
        assertTrue(t.flip());
        assertEquals(4, t.count());
    }

    @Test
    void refusesBadTestAugFieldsNamingThem() throws IOException {
        String[][] cases = {
                {"{\"enabled\": true, \"min_sizes\": [], \"max_size\": 320, \"flip\": true}", "'test_aug.min_sizes'",
                        "must not be empty"},
                {"{\"enabled\": true, \"min_sizes\": [160, 0], \"max_size\": 320, \"flip\": true}",
                        "'test_aug.min_sizes[1]'", "must be >= 1"},
                {"{\"enabled\": true, \"min_sizes\": [160.5], \"max_size\": 320, \"flip\": true}",
                        "'test_aug.min_sizes[0]'", "expected an integer"},
                {"{\"enabled\": true, \"min_sizes\": [160], \"max_size\": 0, \"flip\": true}", "'test_aug.max_size'",
                        "must be >= 1"},
                {"{\"enabled\": 1, \"min_sizes\": [160], \"max_size\": 320, \"flip\": true}", "'test_aug.enabled'",
                        "expected true or false"},
                {"{\"enabled\": true, \"min_sizes\": [160], \"max_size\": 320}", "'test_aug.flip'", "missing"},
                {"[160, 224]", "'test_aug'", "expected an object"}};
        for (String[] c : cases) {
            Files.walk(tmp).sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            com.fasterxml.jackson.databind.JsonNode value = new ObjectMapper().readTree(c[0]);
            assertRefused(brokenCopy(r -> r.set("test_aug", value)), c[1], c[2]);
        }
    }

    @Test
    void refusesInconsistentSections() throws IOException {
        assertRefused(brokenCopy(r -> ((ArrayNode) r.get("class_names")).remove(0)), "'class_names'",
                "2 names for num_classes 3");
        Files.walk(tmp).sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        assertRefused(brokenCopy(r -> ((ArrayNode) at(r, "roi_heads").get("stage_bbox_reg_weights")).remove(2)),
                "'graphs.box_heads'", "3 box heads for 2 stages");
        Files.walk(tmp).sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        assertRefused(brokenCopy(r -> ((ArrayNode) at(r, "roi_heads", "mask_pooler").get("levels")).set(1, "p7")),
                "'roi_heads.mask_pooler.levels[1]'", "p7");
    }

    @Test
    void refusesAMissingGraphFile() throws IOException {
        Path dir = brokenCopy(r -> {});
        Files.delete(dir.resolve("box_head_1.onnx"));
        assertRefused(dir, "manifest.json", "'graphs.box_heads[1].file'", "box_head_1.onnx", "not found");
    }

    @Test
    void refusesADeclarationThatDoesNotFitTheModel() throws IOException {
        // num_classes 2 makes the declared class_logits [R, 4] wrong (K + 1 = 3)
        assertRefused(brokenCopy(r -> {
            r.put("num_classes", 2);
            r.set("class_names", JSON.createArrayNode());
        }), "'graphs.box_heads[0].outputs.class_logits'", "does not match");
    }

    @Test
    void refusesAGraphWhoseOutputsDifferFromTheManifest() throws IOException {
        // the manifest renames an output the graph has: the graph's outputs no longer match
        Path dir = brokenCopy(r -> {
            ObjectNode outputs = at(r, "graphs", "mask_head", "outputs");
            outputs.set("mask_logits_x", outputs.get("mask_logits"));
        });
        assertRefused(dir, "mask_head.onnx", "'graphs.mask_head.outputs'", "mask_logits_x");
    }

    @Test
    void refusesAGraphFileThatIsAnotherGraph() throws IOException {
        Path dir = brokenCopy(r -> {});
        Files.copy(dir.resolve("box_head_0.onnx"), dir.resolve("mask_head.onnx"),
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        assertRefused(dir, "mask_head.onnx", "graphs.mask_head");
    }

    @Test
    void refusesAGraphWithAWrongFixedSize() throws IOException {
        // mask_head.onnx swapped into box_head_2: input 'features' is [R, 16, 14, 14], the manifest says 7x7
        Path dir = brokenCopy(r -> {});
        Files.copy(dir.resolve("mask_head.onnx"), dir.resolve("box_head_2.onnx"),
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        assertRefused(dir, "box_head_2.onnx", "graphs.box_heads[2]");
    }

    @Test
    void loadsMaskAndFasterRcnnPackages() {
        try (ModelPackage p = ModelPackage.load(Path.of("src/test/resources/models/tiny-mask-rcnn"))) {
            ModelManifest m = p.manifest();
            assertEquals(1, m.roiHeads().stages());
            assertFalse(m.roiHeads().classAgnosticBoxes());
            assertArrayEquals(new float[] {10, 10, 5, 5}, m.roiHeads().stageWeights(0));
            assertTrue(m.hasMasks());
            assertEquals(java.util.List.of(-1L, 12L), java.util.Arrays.stream(p.boxHead(0).outputs().get(1).shape())
                    .boxed().toList()); // box_deltas [R, 4K]
        }
        try (ModelPackage p = ModelPackage.load(Path.of("src/test/resources/models/tiny-faster-rcnn"))) {
            assertFalse(p.manifest().hasMasks());
            assertFalse(p.manifest().roiHeads().hasMaskHead());
            assertEquals(null, p.maskHead());
            assertEquals(2, p.manifest().graphs().size());
        }
        // packages written before Mask / Faster R-CNN were served have no cls_agnostic_bbox_reg: a cascade's
        assertTrue(TinyPackages.tiny().roiHeads().classAgnosticBoxes());
    }

    @Test
    void refusesAMaskHeadWithoutMaskSettingsAndTheReverse() throws IOException {
        assertRefused(brokenCopy(r -> ((ObjectNode) r.get("graphs")).remove("mask_head")), "'graphs.mask_head'",
                "missing", "box-only");
        Files.walk(tmp).sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        assertRefused(brokenCopy(r -> at(r, "roi_heads").remove("mask_pooler")), "'roi_heads.mask_pooler'",
                "graphs.mask_head declares a mask head");
    }

    @Test
    void refusesClassSpecificRegressionInACascadeAndDeltasOfTheWrongWidth() throws IOException {
        assertRefused(brokenCopy(r -> at(r, "roi_heads").put("cls_agnostic_bbox_reg", false)),
                "'roi_heads.cls_agnostic_bbox_reg'", "must be true for 3 cascade stages");
        Files.walk(tmp).sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        // a one-stage package whose box head declares class-agnostic deltas while the manifest says class-specific
        Path dir = TinyPackages.edited(Path.of("src/test/resources/models/tiny-mask-rcnn"), tmp.resolve("pkg"),
                r -> ((ArrayNode) r.get("graphs").get("box_heads").get(0).get("outputs").get("box_deltas").get("shape"))
                        .set(1, 4));
        assertRefused(dir, "'graphs.box_heads[0].outputs.box_deltas'", "does not match");
    }
}
