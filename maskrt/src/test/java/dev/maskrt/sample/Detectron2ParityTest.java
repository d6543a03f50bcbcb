package dev.maskrt.sample;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.maskrt.FrameworkGolden;
import dev.maskrt.Predictor;
import dev.maskrt.PredictorOptions;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * The bundled model's detections against upstream detectron2's on held-out DSB2018 images. The reference is
 * {@code src/test/resources/detectron2/dsb2018-cascade-r18.json}, written by real detectron2 ({@code DefaultPredictor},
 * pure Python on torch 1.13 CPU) from the same package's weights by {@code tools/reference/detectron2_run.py}
 * on all 66 held-out images (detectron2 v0.6, commit 02b5c4e; setup in tools/README.md):
 * <pre>
 * source /work/d2env/env.sh
 * /usr/bin/python3 tools/reference/detectron2_run.py --package models/dsb2018-cascade-r18 \
 *     --images samples/dsb2018-val/images/*.png --out target/d2-val.json --threads 2
 * </pre>
 * (then the per-image timings dropped). Every detection must match one to one: same class, box IoU >= 0.99,
 * |score difference| <= 1e-3, mask IoU >= 0.98. When it was made, all 2405 detections matched with box IoU >=
 * 0.99994, |score difference| <= 7.2e-6 and mask IoU >= 0.998.
 */
class Detectron2ParityTest {
    static final Path REFERENCE = Path.of("src/test/resources/detectron2/dsb2018-cascade-r18.json");
    /**
     * detectron2's {@code GeneralizedRCNNWithTTA} with the package's {@code test_aug} (short sides 448/512/576, flip)
     * on 8 of the held-out images (one of each size): {@code detectron2_run.py ... --tta} on all 66, then those 8 kept.
     * All 2713 TTA detections of the 66 images matched maskrt's {@code --tta} output (box IoU >= 0.99998, |score
     * difference| <= 1.5e-5, mask IoU 1.0).
     */
    static final Path REFERENCE_TTA = Path.of("src/test/resources/detectron2/dsb2018-cascade-r18-tta.json");

    @Test
    void everyDetectionMatchesDetectron2() throws Exception {
        assertTrue(compare(REFERENCE, false) > 1000);
    }

    @Test
    void everyTtaDetectionMatchesDetectron2WithTta() throws Exception {
        assertTrue(compare(REFERENCE_TTA, true) > 100);
    }

    /** The number of reference detections, each matched one to one. */
    private static int compare(Path referenceFile, boolean tta) throws Exception {
        JsonNode reference = new ObjectMapper().readTree(referenceFile.toFile());
        assertEquals(tta, reference.hasNonNull("tta"), "the golden's TTA settings");
        try (Predictor predictor = Predictor.open(SampleModelRegressionTest.MODEL, PredictorOptions.builder().threads(2)
                .tta(tta).scoreThreshold((float) reference.get("score_thresh").asDouble()).build())) {
            return FrameworkGolden.assertMatches(predictor, reference);
        }
    }
}
