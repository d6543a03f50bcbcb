package dev.maskrt.cascade;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.maskrt.output.CompactMask;
import dev.maskrt.output.Instance;
import dev.maskrt.selfcheck.DetectionParity;
import dev.maskrt.selfcheck.ParityCriteria;
import dev.maskrt.selfcheck.ParityReport;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Parity checks of the pipeline against the PyTorch reference's outputs: intermediates row by row, and final
 * detections one to one with {@link DetectionParity} ({@link ParityCriteria#FP32}: same class, box IoU >= 0.99,
 * |score difference| <= 1e-3, mask IoU >= 0.98); only detections whose score is within 1e-3 of the threshold may go
 * unmatched, on either side.
 */
public final class ParityCheck {
    private ParityCheck() {}

    /**
     * Proposals and stage outputs: same count, and row by row within float tolerance. ONNX Runtime's logits differ
     * from torch's in the last bits, so proposals whose logits differ by ~1e-5 may come out in swapped order: each
     * reference row is matched to a Java row a few places away at most, with the same box and logit.
     */
    public static void assertIntermediates(TinyReference.Image ref, ImageResult r) {
        float[] refBoxes = ref.get("proposals").asFloats(), refLogits = ref.get("proposal_logits").asFloats();
        int p = refLogits.length;
        assertEquals(p, r.proposals().count(), "proposal count");
        int[] javaRow = matchRows("proposal", refBoxes, refLogits, r.proposals().boxes(), r.proposals().logits());
        float[] stageBoxes = ref.get("stage_boxes").asFloats(), stageProbs = ref.get("stage_probs").asFloats();
        int cols = stageProbs.length / (r.stages().stageProbs().size() * p);
        for (int k = 0; k < r.stages().stageBoxes().size(); k++) {
            assertClose("stage " + k + " boxes", java.util.Arrays.copyOfRange(stageBoxes, k * 4 * p, (k + 1) * 4 * p),
                    permute(r.stages().stageBoxes().get(k), javaRow, 4), 1e-3, 1e-5);
            assertClose("stage " + k + " probabilities", java.util.Arrays.copyOfRange(stageProbs, k * cols * p,
                    (k + 1) * cols * p), permute(r.stages().stageProbs().get(k), javaRow, cols), 1e-5, 1e-4);
        }
        float[] refDetections = ref.get("detections_resized").asFloats();
        if (refDetections.length == r.detections().boxes().length) {
            // equal scores may come out in either order (torchvision's final sort is not stable)
            matchRows("final detection (resized pixels)", refDetections, ref.get("scores").asFloats(),
                    r.detections().boxes(), r.detections().scores());
        }
    }

    private static final int SWAP_WINDOW = 8;

    /**
     * For each reference row (box and score), the Java row at most {@link #SWAP_WINDOW} places away with the same box
     * and score within float tolerance; fails naming {@code what} when there is none.
     */
    private static int[] matchRows(String what, float[] refBoxes, float[] refLogits, float[] boxes, float[] logits) {
        int p = refLogits.length;
        int[] row = new int[p];
        boolean[] used = new boolean[p];
        for (int i = 0; i < p; i++) {
            row[i] = -1;
            for (int j = Math.max(0, i - SWAP_WINDOW); j < Math.min(p, i + SWAP_WINDOW + 1) && row[i] < 0; j++) {
                if (used[j] || Math.abs(refLogits[i] - logits[j]) > 1e-4 + 1e-5 * Math.abs(refLogits[i])) continue;
                boolean same = true;
                for (int c = 0; c < 4; c++) {
                    same &= Math.abs(refBoxes[4 * i + c] - boxes[4 * j + c]) <= 1e-3 + 1e-5 * Math.abs(refBoxes[4 * i + c]);
                }
                if (same) {
                    row[i] = j;
                    used[j] = true;
                }
            }
            if (row[i] < 0) {
                fail(what + " " + i + " (score " + refLogits[i] + ", box " + refBoxes[4 * i] + ", " + refBoxes[4 * i + 1]
                        + ", " + refBoxes[4 * i + 2] + ", " + refBoxes[4 * i + 3] + ") has no Java counterpart near it;"
                        + " Java rows near it: " + rows(boxes, logits, i - 2, i + 3));
            }
        }
        return row;
    }

    private static String rows(float[] boxes, float[] logits, int from, int to) {
        StringBuilder sb = new StringBuilder();
        for (int j = Math.max(0, from); j < Math.min(logits.length, to); j++) {
            sb.append(" [").append(j).append("] ").append(logits[j]).append(" (").append(boxes[4 * j]).append(", ")
                    .append(boxes[4 * j + 1]).append(", ").append(boxes[4 * j + 2]).append(", ").append(boxes[4 * j + 3])
                    .append(')');
        }
        return sb.toString();
    }

    /** Rows of {@code width} values taken in the order {@code rows}. */
    private static float[] permute(float[] values, int[] rows, int width) {
        float[] out = new float[rows.length * width];
        for (int i = 0; i < rows.length; i++) System.arraycopy(values, rows[i] * width, out, i * width, width);
        return out;
    }

    /** |a - b| <= abs + rel * |a| for every element. */
    private static void assertClose(String what, float[] expected, float[] actual, double abs, double rel) {
        assertEquals(expected.length, actual.length, what + ": length");
        double worst = 0;
        int worstAt = -1;
        for (int i = 0; i < expected.length; i++) {
            double excess = Math.abs(expected[i] - actual[i]) - (abs + rel * Math.abs(expected[i]));
            if (!(excess <= worst)) {
                worst = Double.isNaN(excess) ? Double.POSITIVE_INFINITY : excess;
                worstAt = i;
            }
        }
        if (worstAt >= 0) {
            fail(what + ": element " + worstAt + " expected " + expected[worstAt] + " got " + actual[worstAt]);
        }
    }

    /**
     * The final detections against the reference's, with {@link DetectionParity} and {@link ParityCriteria#FP32};
     * detections whose score is within the criteria's score difference of the threshold are left out on both sides
     * first (float noise may put them on either side of it).
     */
    public static void assertMatches(TinyReference.Image ref, List<Instance> actual, float scoreThreshold) {
        float[] boxes = ref.get("boxes").asFloats(), scores = ref.get("scores").asFloats();
        int[] classes = ref.get("classes").asInts(), rects = ref.get("mask_rects").asInts();
        byte[] bits = ref.get("mask_bits").asBytes();
        int[] size = ref.get("image_size").asInts();
        List<Instance> expected = new ArrayList<>();
        int bitOffset = 0;
        for (int i = 0; i < scores.length; i++) {
            int w = rects[4 * i + 2], h = rects[4 * i + 3];
            byte[] refBits = Arrays.copyOfRange(bits, bitOffset, bitOffset + w * h);
            bitOffset += w * h;
            expected.add(new Instance(classes[i], "class " + classes[i], scores[i], boxes[4 * i], boxes[4 * i + 1],
                    boxes[4 * i + 2], boxes[4 * i + 3],
                    new CompactMask(size[0], size[1], rects[4 * i], rects[4 * i + 1], w, h, refBits)));
        }
        ParityCriteria criteria = ParityCriteria.FP32;
        ParityReport report = DetectionParity.compare(awayFrom(scoreThreshold, expected, criteria),
                awayFrom(scoreThreshold, actual, criteria), criteria);
        String summary = ref.file() + ": " + expected.size() + " reference vs " + actual.size() + " java: " + report;
        System.out.println(summary);
        assertTrue(report.passes(), summary);
    }

    private static List<Instance> awayFrom(float threshold, List<Instance> detections, ParityCriteria criteria) {
        return detections.stream().filter(d -> Math.abs(d.score() - threshold) > criteria.maxScoreDiff()).toList();
    }
}
