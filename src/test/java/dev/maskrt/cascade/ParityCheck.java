package dev.maskrt.cascade;

import static org.junit.jupiter.api.Assertions.assertTrue;

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

    public static void assertMatches(TinyReference.Image ref, List<Instance> actual, float scoreThresh) {
        float[] boxes = ref.get("boxes").asFloats(), scores = ref.get("scores").asFloats();
        int[] classes = ref.get("classes").asInts(), rects = ref.get("mask_rects").asInts();
        byte[] bits = ref.get("mask_bits").asBytes();
        int[] size = ref.get("image_size").asInts();
        int n = scores.length;
        boolean[] taken = new boolean[actual.size()];
        int bitOffset = 0;
        StringBuilder problems = new StringBuilder();
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
                if (Math.abs(scores[i] - scoreThresh) > SCORE_DIFF) {
                    problems.append("\n reference detection ").append(i).append(" (class ").append(classes[i])
                            .append(", score ").append(scores[i]).append(") unmatched; best box IoU ").append(bestIou);
                }
                continue;
            }
            taken[best] = true;
            double maskIou = maskIou(refMask, actual.get(best).mask());
            if (maskIou < MASK_IOU) {
                problems.append("\n detection ").append(i).append(": mask IoU ").append(maskIou);
            }
        }
        for (int j = 0; j < actual.size(); j++) {
            if (!taken[j] && Math.abs(actual.get(j).score() - scoreThresh) > SCORE_DIFF) {
                problems.append("\n java detection ").append(j).append(" ").append(actual.get(j).score())
                        .append(" unmatched");
            }
        }
        assertTrue(problems.length() == 0, ref.file() + ": " + n + " reference vs " + actual.size() + " java"
                + problems);
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
