package dev.maskrt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.maskrt.output.Instance;
import dev.maskrt.selfcheck.ParityCriteria;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * maskrcnn-benchmark models (flavour {@code maskrcnn_benchmark}: its "+1" boxes, legacy RoIAlign with sampling ratio
 * 2, LevelMapper eps 1e-6, per-level RPN top-n, its NMS, per-class detections cut by kthvalue, Masker paste, BGR
 * 0..255 input, {@code int()} resize) against the torch reference that follows its source line by line
 * ({@code tools/reference/maskrcnn_benchmark_run.py}; maskrcnn-benchmark's C extension does not build against
 * today's torch). Every detection must match one to one with {@link ParityCriteria#FP32} (class, box IoU >= 0.99 on
 * inclusive pixel ranges as maskrcnn-benchmark's boxes are, |score difference| <= 1e-3, mask IoU >= 0.98), in
 * maskrcnn-benchmark's order.
 *
 * <p>Packages and goldens: {@code /usr/bin/python3 tools/reference/make_maskrcnn_benchmark_models.py} (configs
 * {@code tools/configs/maskrcnn_benchmark/tiny_e2e_{mask,faster}_rcnn_R_50_FPN.yaml}: R-50-FPN at tiny widths,
 * random weights, seed 1). When written the reference gave 76 + 100 + 91 + 100 detections for both (the box-only
 * one has the same backbone and box head), on the Sartorius and LIVECell images and two held-out DSB 2018 images.
 */
class MaskrcnnBenchmarkParityTest {
    @ParameterizedTest(name = "{0}")
    @CsvSource({"tiny-mb-mask-rcnn, 300", "tiny-mb-faster-rcnn, 300"})
    void matchesTheMaskrcnnBenchmarkReference(String model, int atLeast) throws IOException {
        JsonNode reference = new ObjectMapper().readTree(Path.of("src/test/resources/maskrcnn_benchmark",
                model + ".json").toFile());
        try (Predictor predictor = Predictor.open(Path.of("src/test/resources/models", model),
                PredictorOptions.builder().threads(2).build())) {
            boolean masks = model.contains("mask");
            assertEquals(masks, predictor.hasMasks());
            assertFalse(predictor.tta());
            int compared = FrameworkGolden.assertMatches(predictor, reference, ParityCriteria.FP32, true);
            assertTrue(compared >= atLeast, "too few detections to compare: " + compared);
            List<Prediction> predictions = predictor.predictAll(FrameworkGolden.inputs(reference));
            for (int i = 0; i < predictions.size(); i++) {
                List<Instance> got = predictions.get(i).instances();
                JsonNode expected = reference.get("images").get(i).get("instances");
                assertEquals(expected.size(), got.size());
                for (int k = 0; k < got.size(); k++) {
                    // maskrcnn-benchmark's order: classes in order, each class's survivors in proposal order
                    assertEquals(expected.get(k).get("class").asInt(), got.get(k).classIndex(), "instance " + k);
                    assertEquals(masks, got.get(k).hasMask());
                }
            }
        }
    }

    @Test
    void testTimeAugmentationIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Predictor.open(
                Path.of("src/test/resources/models/tiny-mb-mask-rcnn"), PredictorOptions.builder().tta(true).build()));
        assertTrue(e.getMessage().contains("maskrcnn_benchmark"), e.getMessage());
    }
}
