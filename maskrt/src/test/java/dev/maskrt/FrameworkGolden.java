package dev.maskrt;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.maskrt.output.CocoRle;
import dev.maskrt.output.Instance;
import dev.maskrt.selfcheck.DetectionParity;
import dev.maskrt.selfcheck.ParityCriteria;
import dev.maskrt.selfcheck.ParityReport;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads the JSON that {@code tools/reference/detectron2_run.py} and {@code tools/reference/mmdet_run.py} write (real
 * detectron2's or mmdetection's detections; maskrcnn-benchmark's reference writes it too): per image
 * {@code file}, {@code height}, {@code width} and {@code instances} ({@code box} x0,y0,x1,y1, {@code score},
 * {@code class}, {@code mask} as COCO compressed RLE, null for a box-only model).
 */
public final class FrameworkGolden {
    private FrameworkGolden() {}

    /**
     * The images of the golden, as inputs, in file order. The goldens name them relative to the repository root, where
     * the tools run; the tests run in the library's folder ({@code maskrt/}), which holds {@code src/}.
     */
    public static List<ImageInput> inputs(JsonNode golden) {
        List<ImageInput> inputs = new ArrayList<>();
        for (JsonNode image : golden.get("images")) {
            String file = image.get("file").asText();
            Path path = Path.of(file);
            inputs.add(ImageInput.of(path.isAbsolute() || file.startsWith("src/") ? path : Path.of("..", file)));
        }
        return inputs;
    }

    /** One image's detections as maskrt instances (masks over the whole image, or none for a box-only model). */
    public static List<Instance> instances(JsonNode image, List<String> classNames) {
        int h = image.get("height").asInt(), w = image.get("width").asInt();
        List<Instance> out = new ArrayList<>();
        for (JsonNode d : image.get("instances")) {
            JsonNode box = d.get("box");
            int cls = d.get("class").asInt();
            JsonNode mask = d.get("mask");
            out.add(new Instance(cls, classNames.get(cls), (float) d.get("score").asDouble(), (float) box.get(0).asDouble(),
                    (float) box.get(1).asDouble(), (float) box.get(2).asDouble(), (float) box.get(3).asDouble(),
                    mask == null || mask.isNull() ? null
                            : CocoRle.fromCompressedString(mask.get("counts").asText(), h, w).toCompactMask()));
        }
        return out;
    }

    /**
     * Predicts the golden's images and asserts that every image's detections match detectron2's one to one under
     * {@link ParityCriteria#FP32} (class, box IoU, score difference, mask IoU).
     *
     * @return the number of reference detections compared
     */
    public static int assertMatches(Predictor predictor, JsonNode golden) {
        return assertMatches(predictor, golden, ParityCriteria.FP32);
    }

    /** As {@link #assertMatches(Predictor, JsonNode)} under other criteria (a test says why). */
    public static int assertMatches(Predictor predictor, JsonNode golden, ParityCriteria criteria) {
        return assertMatches(predictor, golden, criteria, false);
    }

    /** As above; {@code inclusiveBoxes}: box IoU on inclusive pixel ranges (maskrcnn-benchmark models). */
    public static int assertMatches(Predictor predictor, JsonNode golden, ParityCriteria criteria,
            boolean inclusiveBoxes) {
        List<Prediction> predictions = predictor.predictAll(inputs(golden));
        int compared = 0;
        for (int i = 0; i < predictions.size(); i++) {
            JsonNode image = golden.get("images").get(i);
            List<Instance> expected = instances(image, predictor.classNames());
            ParityReport report = DetectionParity.compare(expected, predictions.get(i).instances(), criteria,
                    inclusiveBoxes);
            System.out.println((predictor.tta() ? "TTA " : "plain ") + image.get("file").asText() + ": " + report);
            assertTrue(report.passes(), image.get("file").asText() + ": " + report);
            compared += expected.size();
        }
        return compared;
    }
}
