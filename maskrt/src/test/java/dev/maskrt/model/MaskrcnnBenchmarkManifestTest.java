package dev.maskrt.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.maskrt.error.InputFormatException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The manifest of a maskrcnn-benchmark package ({@code flavour: "maskrcnn_benchmark"}): its {@code conventions} are
 * read into {@link Conventions}, every field checked and refused naming it; detectron2 packages (no
 * {@code conventions}) read as {@link Conventions#DETECTRON2}.
 */
class MaskrcnnBenchmarkManifestTest {
    static final Path MB = Path.of("src/test/resources/models/tiny-mb-mask-rcnn");

    @TempDir
    Path tmp;
    private int copies;

    private Path edited(Consumer<ObjectNode> edit) throws IOException {
        return TinyPackages.edited(MB, tmp.resolve("pkg" + copies++), edit);
    }

    private void assertRefused(Path dir, String... parts) {
        InputFormatException e = assertThrows(InputFormatException.class, () -> ModelPackage.load(dir).close());
        for (String part : parts) {
            assertTrue(e.getMessage().contains(part), () -> "message '" + e.getMessage() + "' lacks '" + part + "'");
        }
        assertTrue(e.getMessage().contains("manifest.json"), e.getMessage());
    }

    @Test
    void readsTheConventionsOfAMaskrcnnBenchmarkPackage() {
        ModelManifest m = ModelPackage.readManifest(MB);
        assertEquals("maskrcnn_benchmark", m.flavour());
        assertEquals(Conventions.MASKRCNN_BENCHMARK, m.conventions());
        assertFalse(m.roiHeads().boxPooler().aligned());
        assertEquals(2, m.roiHeads().boxPooler().samplingRatio());
        assertEquals(1000, m.rpn().postNmsTopk());
        ModelManifest d2 = TinyPackages.tiny();
        assertEquals("detectron2", d2.flavour());
        assertTrue(d2.conventions().isDetectron2());
    }

    @Test
    void refusesMissingOrMalformedConventionsNamingTheField() throws IOException {
        assertRefused(edited(r -> r.remove("conventions")), "'conventions'", "missing");
        assertRefused(edited(r -> TinyPackages.at(r, "conventions").put("box_coordinates", "half_open")),
                "'conventions.box_coordinates'", "one of \"continuous\", \"plus_one\"", "half_open");
        assertRefused(edited(r -> TinyPackages.at(r, "conventions").remove("nms")), "'conventions.nms'", "missing");
        assertRefused(edited(r -> TinyPackages.at(r, "conventions").put("level_mapper_eps", -1)),
                "'conventions.level_mapper_eps'");
        assertRefused(edited(r -> TinyPackages.at(r, "conventions").put("rpn_post_nms_topk_per_level", 0)),
                "'conventions.rpn_post_nms_topk_per_level'");
        assertRefused(edited(r -> TinyPackages.at(r, "conventions").put("exif_orientation", "no")),
                "'conventions.exif_orientation'");
        assertRefused(edited(r -> TinyPackages.at(r, "conventions").put("coco_bbox", "xywh")),
                "'conventions.coco_bbox'", "xywh_plus_one");
        assertRefused(edited(r -> TinyPackages.at(r, "conventions").put("mask_paste", "opencv")),
                "'conventions.mask_paste'");
    }

    @Test
    void refusesCascadesAndTestTimeAugmentationForMaskrcnnBenchmark() throws IOException {
        assertRefused(edited(r -> r.putObject("test_aug").put("enabled", false).put("max_size", 100)
                .put("flip", true).putArray("min_sizes").add(100)), "'test_aug'",
                "maskrcnn_benchmark package has no test-time augmentation");
        assertRefused(edited(r -> {
            ObjectNode roi = TinyPackages.at(r, "roi_heads");
            roi.put("cls_agnostic_bbox_reg", true);
            roi.putArray("stage_bbox_reg_weights").add(roi.arrayNode().add(10).add(10).add(5).add(5))
                    .add(roi.arrayNode().add(20).add(20).add(10).add(10));
            roi.putArray("stage_ious").add(0.5).add(0.6);
            com.fasterxml.jackson.databind.node.ArrayNode heads = (com.fasterxml.jackson.databind.node.ArrayNode)
                    TinyPackages.at(r, "graphs").get("box_heads");
            heads.add(heads.get(0).deepCopy());
        }), "'roi_heads.stage_bbox_reg_weights'", "one box stage");
    }

    @Test
    void refusesAnMmdetectionResizeWithPilInterpolation() throws IOException {
        assertRefused(edited(r -> TinyPackages.at(r, "conventions")
                .put("resize", "mmdetection")), "'input.interpolation'", "needs \"cv2_bilinear\"");
    }
}
