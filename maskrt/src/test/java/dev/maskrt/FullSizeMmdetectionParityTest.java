package dev.maskrt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Opt-in: a full-size mmdetection package against REAL mmdetection 2.16 on the same checkpoint, every detection one to
 * one at the FP32 criteria. The seed's model (RESULTS.md, "the seed's mmdetection Cascade R-CNN (DCN)"), from the
 * repository root:
 * <pre>
 * /usr/bin/python3 -m tools.maskrt_export export --framework mmdetection \
 *     --config tools/configs/mmdetection/cascade_rcnn_r50_fpn_dconv_seed.py --random-weights --seed 1 \
 *     --calibration-image maskrt/src/test/resources/image/sartorius-0030fd0e6378.png \
 *     --save-checkpoint benchmarks/target/mmdet-seed.pth --out benchmarks/target/models/mmdet_seed
 * source /work/mmenv/env.sh
 * /usr/bin/python3 tools/reference/mmdet_run.py --config tools/configs/mmdetection/cascade_rcnn_r50_fpn_dconv_seed.py \
 *     --checkpoint benchmarks/target/mmdet-seed.pth --images maskrt/src/test/resources/image/sartorius-0030fd0e6378.png \
 *     maskrt/src/test/resources/image/livecell-A172_Phase_A7_1_00d00h00m_1.tif --out benchmarks/target/mmdet_seed.json
 * mvn -B -ntp test -pl maskrt -Dmaskrt.cuda=false -Dtest=FullSizeMmdetectionParityTest \
 *     -Dmaskrt.mmparity.package=../benchmarks/target/models/mmdet_seed \
 *     -Dmaskrt.mmparity.golden=../benchmarks/target/mmdet_seed.json
 * </pre>
 * With {@code cascade_rcnn_r50_fpn_dconv_seed_tta.py} (export with {@code --weights benchmarks/target/mmdet-seed.pth})
 * the same compares mmdetection's {@code aug_test}: the package's {@code test_aug} turns TTA on. Only images on which
 * the random RPN does not saturate can match (see {@code MmdetectionParityTest}).
 */
@EnabledIfSystemProperty(named = "maskrt.mmparity.golden", matches = ".+")
class FullSizeMmdetectionParityTest {
    @Test
    void matchesMmdetection() throws IOException {
        JsonNode golden = new ObjectMapper().readTree(Path.of(System.getProperty("maskrt.mmparity.golden")).toFile());
        Path pkg = Path.of(System.getProperty("maskrt.mmparity.package"));
        float scoreThreshold = (float) golden.get("score_thr").asDouble();
        try (Predictor predictor = Predictor.open(pkg, PredictorOptions.builder().threads(2)
                .scoreThreshold(scoreThreshold).build())) {
            assertEquals("mmdetection", predictor.flavour());
            int compared = FrameworkGolden.assertMatches(predictor, golden);
            assertTrue(compared > 0, "no detections to compare");
        }
    }
}
