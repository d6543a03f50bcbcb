package dev.maskrt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.maskrt.output.Instance;
import dev.maskrt.selfcheck.ParityCriteria;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * detectron2's {@code StandardROIHeads} models against REAL upstream detectron2 (v0.6, commit 02b5c4e, torch 1.13
 * CPU), with and without test-time augmentation: a Mask R-CNN (one box stage, class-specific box regression
 * {@code [R, 4K]}, mask head) and a Faster R-CNN (the same without a mask head: box-only instances). Every detection
 * must match one to one with {@link ParityCriteria#FP32}: same class, box IoU >= 0.99, |score difference| <= 1e-3,
 * mask IoU >= 0.98 (box-only: no mask on either side).
 *
 * <p>Packages: {@code /usr/bin/python3 tools/reference/make_tiny_model.py --standard-only} (configs
 * {@code tools/configs/tiny_mask_rcnn_R_18_FPN.yaml}, {@code tiny_faster_rcnn_R_18_FPN.yaml}: the tiny cascade's
 * backbone, random weights seed 1, TEST.AUG short sides 160/224, max 320, flip, off by default). Goldens, from the
 * project root, for K in mask and faster:
 *
 * <pre>
 * source /work/d2env/env.sh
 * IMAGES="src/test/resources/image/sartorius-0030fd0e6378.png \
 *   src/test/resources/models/tiny/reference/images/synthetic-gray-90x300.png \
 *   src/test/resources/models/tiny/reference/images/synthetic-rgb-120x160.png"
 * /usr/bin/python3 tools/reference/detectron2_run.py --package src/test/resources/models/tiny-K-rcnn \
 *   --images $IMAGES --out src/test/resources/detectron2/tiny-K-rcnn.json
 * /usr/bin/python3 tools/reference/detectron2_run.py --package src/test/resources/models/tiny-K-rcnn \
 *   --images $IMAGES --out src/test/resources/detectron2/tiny-K-rcnn-tta.json --tta
 * </pre>
 *
 * When written, detectron2 gave: Mask R-CNN 33 + 57 + 24 detections, with TTA 71 + 94 + 83; Faster R-CNN
 * 83 + 100 + 54, with TTA 100 + 100 + 100 (at the 100-detection cap).
 */
class StandardHeadsDetectron2ParityTest {
    @ParameterizedTest(name = "{0} tta={1}")
    @CsvSource({"tiny-mask-rcnn, false, 100", "tiny-mask-rcnn, true, 200", "tiny-faster-rcnn, false, 200",
            "tiny-faster-rcnn, true, 250"})
    void matchesDetectron2(String model, boolean tta, int atLeast) throws IOException {
        Path golden = Path.of("src/test/resources/detectron2", model + (tta ? "-tta" : "") + ".json");
        JsonNode reference = new ObjectMapper().readTree(golden.toFile());
        try (Predictor predictor = Predictor.open(Path.of("src/test/resources/models", model),
                PredictorOptions.builder().threads(2).tta(tta).build())) {
            assertEquals(tta, predictor.tta());
            boolean masks = model.contains("mask");
            assertEquals(masks, predictor.hasMasks());
            int compared = FrameworkGolden.assertMatches(predictor, reference);
            assertTrue(compared >= atLeast, "too few detections to compare: " + compared);
            for (Prediction p : predictor.predictAll(FrameworkGolden.inputs(reference))) {
                for (Instance i : p.instances()) assertEquals(masks, i.hasMask(), i.toString());
            }
        }
    }
}
