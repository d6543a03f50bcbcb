package dev.maskrt.cascade;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.maskrt.output.CompactMask;
import dev.maskrt.output.Instance;
import java.util.List;

/**
 * The acceptance criteria for final detections: every reference detection matched one-to-one by a Java one (same
 * class, box IoU >= 0.99, |score difference| <= 1e-3, mask IoU >= 0.98); only detections whose score is within 1e-3
 * of the threshold may go unmatched, on either side.
 */
public final class ParityCheck {
    static final double BOX_IOU = 0.99, SCORE_DIFF = 1e-3, MASK_IOU = 0.98;

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

    public static void assertMatches(TinyReference.Image ref, List<Instance> actual, float scoreThreshold) {
        float[] boxes = ref.get("boxes").asFloats(), scores = ref.get("scores").asFloats();
        int[] classes = ref.get("classes").asInts(), rects = ref.get("mask_rects").asInts();
        byte[] bits = ref.get("mask_bits").asBytes();
        int[] size = ref.get("image_size").asInts();
        int n = scores.length;
        boolean[] taken = new boolean[actual.size()];
        int bitOffset = 0;
        StringBuilder problems = new StringBuilder();
        double worstBoxIou = 1, worstMaskIou = 1, worstScoreDiff = 0;
        int matched = 0;
        for (int i = 0; i < n; i++) {
            int w = rects[4 * i + 2], h = rects[4 * i + 3];
            byte[] refBits = java.util.Arrays.copyOfRange(bits, bitOffset, bitOffset + w * h);
            bitOffset += w * h;
            CompactMask refMask = new CompactMask(size[0], size[1], rects[4 * i], rects[4 * i + 1], w, h, refBits);
            int best = -1;
            double bestIou = -1;
            for (int j = 0; j < actual.size(); j++) {
                Instance a = actual.get(j);
                if (taken[j] || a.classIndex() != classes[i] || Math.abs(a.score() - scores[i]) > SCORE_DIFF) continue;
                double iou = boxIou(boxes, i, a);
                if (iou > bestIou) {
                    bestIou = iou;
                    best = j;
                }
            }
            if (best < 0 || bestIou < BOX_IOU) {
                if (Math.abs(scores[i] - scoreThreshold) > SCORE_DIFF) {
                    problems.append("\n reference detection ").append(i).append(" (class ").append(classes[i])
                            .append(", score ").append(scores[i]).append(") unmatched; best box IoU ").append(bestIou);
                }
                continue;
            }
            taken[best] = true;
            double maskIou = maskIou(refMask, actual.get(best).mask());
            matched++;
            worstBoxIou = Math.min(worstBoxIou, bestIou);
            worstMaskIou = Math.min(worstMaskIou, maskIou);
            worstScoreDiff = Math.max(worstScoreDiff, Math.abs(actual.get(best).score() - scores[i]));
            if (maskIou < MASK_IOU) {
                problems.append("\n detection ").append(i).append(": mask IoU ").append(maskIou);
            }
        }
        for (int j = 0; j < actual.size(); j++) {
            if (!taken[j] && Math.abs(actual.get(j).score() - scoreThreshold) > SCORE_DIFF) {
                problems.append("\n java detection ").append(j).append(" ").append(actual.get(j).score())
                        .append(" unmatched");
            }
        }
        String summary = ref.file() + ": " + n + " reference vs " + actual.size() + " java, " + matched
                + " matched (worst box IoU " + worstBoxIou + ", worst mask IoU " + worstMaskIou + ", largest score difference "
                + worstScoreDiff + ")";
        System.out.println(summary);
        assertTrue(problems.length() == 0, summary + problems);
    }

    static double boxIou(float[] boxes, int i, Instance a) {
        double ix = Math.max(0, Math.min(boxes[4 * i + 2], a.x1()) - Math.max(boxes[4 * i], a.x0()));
        double iy = Math.max(0, Math.min(boxes[4 * i + 3], a.y1()) - Math.max(boxes[4 * i + 1], a.y0()));
        double inter = ix * iy;
        double areaA = (boxes[4 * i + 2] - boxes[4 * i]) * (double) (boxes[4 * i + 3] - boxes[4 * i + 1]);
        double areaB = (a.x1() - a.x0()) * (double) (a.y1() - a.y0());
        double union = areaA + areaB - inter;
        return union <= 0 ? (areaA == areaB ? 1 : 0) : inter / union;
    }

    static double maskIou(CompactMask a, CompactMask b) {
        byte[] fa = a.toFullBitmap(), fb = b.toFullBitmap();
        long inter = 0, union = 0;
        for (int i = 0; i < fa.length; i++) {
            boolean x = fa[i] != 0, y = fb[i] != 0;
            if (x && y) inter++;
            if (x || y) union++;
        }
        return union == 0 ? 1.0 : (double) inter / union;
    }
}
