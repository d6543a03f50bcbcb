package dev.maskrt.selfcheck;

import dev.maskrt.output.CompactMask;
import dev.maskrt.output.Instance;
import java.util.List;

/**
 * Compares one image's detections from two backends. Matching is greedy and one to one: reference detections in
 * their order (descending score), each taking the unmatched candidate with the highest box IoU (the first on ties),
 * if that IoU is at least the criteria's {@code minBoxIou}. It passes when every detection on both sides is matched,
 * classes agree, and every pair's score difference and mask IoU are within the criteria. Stateless; thread-safe.
 */
public final class DetectionParity {
    private DetectionParity() {}

    public static ParityReport compare(List<Instance> reference, List<Instance> candidate, ParityCriteria criteria) {
        return compare(reference, candidate, criteria, false);
    }

    /**
     * As {@link #compare(List, List, ParityCriteria)}; with {@code inclusiveBoxes} the box IoU is computed on
     * inclusive pixel ranges ({@code x1 - x0 + 1}), the convention of maskrcnn-benchmark models (whose boxes may be
     * less than a pixel wide, or clipped to a sliver on the image's last column).
     */
    public static ParityReport compare(List<Instance> reference, List<Instance> candidate, ParityCriteria criteria,
            boolean inclusiveBoxes) {
        if (reference == null) throw new IllegalArgumentException("reference must not be null");
        if (candidate == null) throw new IllegalArgumentException("candidate must not be null");
        if (criteria == null) throw new IllegalArgumentException("criteria must not be null");
        boolean[] taken = new boolean[candidate.size()];
        int matched = 0;
        int classMismatches = 0;
        double worstBox = 1;
        double worstScore = 0;
        double worstMask = 1;
        boolean ok = true;
        for (Instance r : reference) {
            int best = -1;
            double bestIou = -1;
            for (int j = 0; j < candidate.size(); j++) {
                if (taken[j]) continue;
                double iou = inclusiveBoxes ? inclusiveBoxIou(r, candidate.get(j)) : boxIou(r, candidate.get(j));
                if (iou > bestIou) {
                    bestIou = iou;
                    best = j;
                }
            }
            if (best < 0 || bestIou < criteria.minBoxIou()) {
                ok = false;
                continue;
            }
            taken[best] = true;
            matched++;
            Instance c = candidate.get(best);
            if (c.classIndex() != r.classIndex()) {
                classMismatches++;
                ok = false;
            }
            double scoreDiff = Math.abs((double) c.score() - r.score());
            // box-only instances (no masks on either side) have nothing to compare; one side without is a mismatch
            double maskIou = r.hasMask() && c.hasMask() ? maskIou(r.mask(), c.mask())
                    : r.hasMask() == c.hasMask() ? 1 : 0;
            worstBox = Math.min(worstBox, bestIou);
            worstScore = Math.max(worstScore, scoreDiff);
            worstMask = Math.min(worstMask, maskIou);
            if (scoreDiff > criteria.maxScoreDiff() || maskIou < criteria.minMaskIou()) ok = false;
        }
        if (matched != candidate.size()) ok = false;
        return new ParityReport(reference.size(), candidate.size(), matched, classMismatches, worstBox, worstScore,
                worstMask, ok);
    }

    /** IoU of two boxes in continuous coordinates; two empty boxes at the same place count as IoU 1. */
    static double boxIou(Instance a, Instance b) {
        double iw = Math.min(a.x1(), b.x1()) - Math.max(a.x0(), b.x0());
        double ih = Math.min(a.y1(), b.y1()) - Math.max(a.y0(), b.y0());
        double inter = iw > 0 && ih > 0 ? iw * ih : 0;
        double areaA = ((double) a.x1() - a.x0()) * ((double) a.y1() - a.y0());
        double areaB = ((double) b.x1() - b.x0()) * ((double) b.y1() - b.y0());
        double union = areaA + areaB - inter;
        if (union <= 0) {
            return a.x0() == b.x0() && a.y0() == b.y0() && a.x1() == b.x1() && a.y1() == b.y1() ? 1 : 0;
        }
        return inter / union;
    }

    /** IoU of two boxes as inclusive pixel ranges (maskrcnn-benchmark's boxlist_iou, float64 here). */
    static double inclusiveBoxIou(Instance a, Instance b) {
        double iw = Math.max(0, Math.min(a.x1(), b.x1()) - Math.max(a.x0(), b.x0()) + 1);
        double ih = Math.max(0, Math.min(a.y1(), b.y1()) - Math.max(a.y0(), b.y0()) + 1);
        double inter = iw * ih;
        double areaA = ((double) a.x1() - a.x0() + 1) * ((double) a.y1() - a.y0() + 1);
        double areaB = ((double) b.x1() - b.x0() + 1) * ((double) b.y1() - b.y0() + 1);
        double union = areaA + areaB - inter;
        if (union <= 0) {
            return a.x0() == b.x0() && a.y0() == b.y0() && a.x1() == b.x1() && a.y1() == b.y1() ? 1 : 0;
        }
        return inter / union;
    }

    /** IoU of two masks over the same image; two empty masks count as IoU 1. */
    static double maskIou(CompactMask a, CompactMask b) {
        if (a.imageHeight() != b.imageHeight() || a.imageWidth() != b.imageWidth()) {
            throw new IllegalArgumentException("masks are over different image sizes: " + a.imageWidth() + "x"
                    + a.imageHeight() + " and " + b.imageWidth() + "x" + b.imageHeight());
        }
        long inter = 0;
        int x0 = Math.max(a.x(), b.x());
        int x1 = Math.min(a.x() + a.width(), b.x() + b.width());
        int y0 = Math.max(a.y(), b.y());
        int y1 = Math.min(a.y() + a.height(), b.y() + b.height());
        for (int row = y0; row < y1; row++) {
            for (int col = x0; col < x1; col++) {
                if (a.get(col, row) && b.get(col, row)) inter++;
            }
        }
        long union = a.area() + b.area() - inter;
        return union == 0 ? 1 : (double) inter / union;
    }
}
