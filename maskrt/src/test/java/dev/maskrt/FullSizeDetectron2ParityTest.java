package dev.maskrt;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Opt-in: a full-size package (e.g. detectron2's {@code mask_rcnn_R_50_FPN_3x} or {@code faster_rcnn_R_50_FPN_3x}
 * with calibrated random weights, ~170 MB, git-ignored) against REAL detectron2's {@code DefaultPredictor} on the same
 * weights, every detection one to one at the FP32 criteria. From the project root:
 * <pre>
 * /usr/bin/python3 -m tools.maskrt_export export --config tools/configs/mask_rcnn_R_50_FPN_3x.yaml \
 *     --random-weights --seed 1 --out benchmarks/target/models/mask_rcnn_r50
 * source /work/d2env/env.sh
 * /usr/bin/python3 tools/reference/detectron2_run.py --package benchmarks/target/models/mask_rcnn_r50 \
 *     --images src/test/resources/image/sartorius-0030fd0e6378.png \
 *     ../shared/data/images/livecell-A172_Phase_A7_1_00d00h00m_1.tif \
 *     src/test/resources/models/tiny/reference/images/synthetic-rgb-120x160.png \
 *     src/test/resources/models/tiny/reference/images/synthetic-gray-90x300.png \
 *     --out benchmarks/target/d2_mask_r50.json
 * mvn -B -ntp test -Dmaskrt.cuda=false -Dtest=FullSizeDetectron2ParityTest \
 *     -Dmaskrt.d2parity.package=benchmarks/target/models/mask_rcnn_r50 \
 *     -Dmaskrt.d2parity.golden=benchmarks/target/d2_mask_r50.json
 * </pre>
 * Results are in {@code benchmarks/RESULTS.md} ("Mask R-CNN and Faster R-CNN against real detectron2").
 */
@EnabledIfSystemProperty(named = "maskrt.d2parity.golden", matches = ".+")
class FullSizeDetectron2ParityTest {
    @Test
    void matchesDetectron2() throws IOException {
        JsonNode golden = new ObjectMapper().readTree(Path.of(System.getProperty("maskrt.d2parity.golden")).toFile());
        Path pkg = Path.of(System.getProperty("maskrt.d2parity.package"));
        boolean tta = golden.hasNonNull("tta");
        // detectron2_run.py --score-thresh X: the same threshold here (a random package may pass nothing at 0.5)
        float scoreThreshold = (float) golden.get("score_thresh").asDouble();
        try (Predictor predictor = Predictor.open(pkg, PredictorOptions.builder().threads(2).tta(tta)
                .scoreThreshold(scoreThreshold).build())) {
            int compared = FrameworkGolden.assertMatches(predictor, golden);
            assertTrue(compared > 0, "no detections to compare");
        }
    }
}
