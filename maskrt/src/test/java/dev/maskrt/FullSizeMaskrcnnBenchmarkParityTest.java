package dev.maskrt;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.maskrt.selfcheck.ParityCriteria;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Opt-in: a full-size maskrcnn-benchmark package (its {@code e2e_mask_rcnn_R_50_FPN_1x} with calibrated random
 * weights, ~170 MB, git-ignored) against the torch reference that follows maskrcnn-benchmark's source, every
 * detection one to one at the FP32 criteria (inclusive boxes). From the project root:
 * <pre>
 * /usr/bin/python3 -m tools.maskrt_export export --framework maskrcnn_benchmark \
 *     --config tools/configs/maskrcnn_benchmark/e2e_mask_rcnn_R_50_FPN_1x.yaml --random-weights --seed 1 \
 *     --out benchmarks/target/models/mb_mask_rcnn_r50
 * /usr/bin/python3 tools/reference/maskrcnn_benchmark_run.py --package benchmarks/target/models/mb_mask_rcnn_r50 \
 *     --images src/test/resources/image/sartorius-0030fd0e6378.png \
 *     samples/dsb2018-val/images/003cee89357d9fe13516167fd67b609a164651b21934585648c740d2c3d86dc1.png \
 *     --out benchmarks/target/mb_mask_r50.json
 * mvn -B -ntp test -Dmaskrt.cuda=false -Dtest=FullSizeMaskrcnnBenchmarkParityTest \
 *     -Dmaskrt.mbparity.package=benchmarks/target/models/mb_mask_rcnn_r50 \
 *     -Dmaskrt.mbparity.golden=benchmarks/target/mb_mask_r50.json
 * </pre>
 */
@EnabledIfSystemProperty(named = "maskrt.mbparity.golden", matches = ".+")
class FullSizeMaskrcnnBenchmarkParityTest {
    @Test
    void matchesTheMaskrcnnBenchmarkReference() throws IOException {
        JsonNode golden = new ObjectMapper().readTree(Path.of(System.getProperty("maskrt.mbparity.golden")).toFile());
        Path pkg = Path.of(System.getProperty("maskrt.mbparity.package"));
        try (Predictor predictor = Predictor.open(pkg, PredictorOptions.builder().threads(2).build())) {
            int compared = FrameworkGolden.assertMatches(predictor, golden, ParityCriteria.FP32, true);
            assertTrue(compared > 0, "no detections to compare");
        }
    }
}
