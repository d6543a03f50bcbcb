package dev.maskrt.cascade;

import dev.maskrt.image.ImageGeometry;

import dev.maskrt.config.DetectionSettings;

import java.util.Arrays;

/**
 * detectron2's {@code fast_rcnn_inference_single_image}, with one class-agnostic box per proposal or one box per
 * (proposal, class): drop rows with a non-finite box or score, drop the background column, clip, keep every (row,
 * class) scoring above the threshold with that class's box (the row's only box when agnostic), NMS per class, keep
 * the best {@code detectionsPerImage}. Thread-safe.
 */
final class DetectionSelector {
    private final BoxRules rules;

    /** With the rules of the model's conventions (maskrcnn-benchmark: clip to W - 1, its NMS, per-class order). */
    DetectionSelector(BoxRules rules) {
        this.rules = rules;
    }

    /**
     * @param stageBoxes the last stage's boxes: {@code float[4R]} (class-agnostic) or {@code float[4RK]} (one per
     *     class, row-major)
     * @param scores {@code float[R * (K + 1)]} mean stage probabilities, background last
     */
    Detections select(float[] stageBoxes, float[] scores, int numClasses, int height, int width,
            DetectionSettings settings) {
        return select(stageBoxes, scores, numClasses, height, width, settings, null);
    }

    /**
     * As {@link #select(float[], float[], int, int, int, DetectionSettings)}; with mmdetection's conventions
     * ({@code postprocess: "mmdetection_rescale_first"}) the clipped boxes are first divided by the resize's scale
     * factors of {@code g} ({@code BBoxHead.get_bboxes} with {@code rescale=True}), so the threshold, NMS and the
     * detections are in original-image pixels.
     */
    Detections select(float[] stageBoxes, float[] scores, int numClasses, int height, int width,
            DetectionSettings settings, ImageGeometry g) {
        Valid v = valid(stageBoxes, scores, numClasses);
        rules.clip(v.boxes, height, width);
        if (rules.conventions().rescaleFirstPostprocess()) {
            if (g == null) throw new IllegalStateException("mmdetection's rescale needs the image geometry");
            DetectorPostprocess.divideByScaleFactor(v.boxes, g); // scale_factor of mmdet's Resize._resize_img
        }
        return choose(v, scores, numClasses, settings);
    }

    /**
     * mmdetection's {@code multiclass_nms} on merged test-time-augmentation boxes ({@code CascadeRoIHead.aug_test}
     * after {@code merge_aug_bboxes}): already in original-image pixels and clipped in each augmented image, so
     * neither clipped nor rescaled here.
     */
    Detections selectMerged(float[] stageBoxes, float[] scores, int numClasses, DetectionSettings settings) {
        return choose(valid(stageBoxes, scores, numClasses), scores, numClasses, settings);
    }

    /**
     * The rows whose boxes and scores are all finite: their indices, and a copy of their boxes ({@code 4 · perRow}
     * values per row: 1 box when class-agnostic, K otherwise), which the caller may clip or rescale.
     */
    private record Valid(int cols, int perRow, int[] rows, float[] boxes) {}

    private static Valid valid(float[] stageBoxes, float[] scores, int numClasses) {
        int cols = numClasses + 1, r = scores.length / cols;
        int perRow = r == 0 ? 1 : stageBoxes.length / (4 * r); // 1 (agnostic) or K
        int[] valid = validRows(stageBoxes, scores, r, cols, perRow);
        int rowLength = 4 * perRow;
        float[] kept = new float[rowLength * valid.length];
        for (int i = 0; i < valid.length; i++) {
            System.arraycopy(stageBoxes, rowLength * valid[i], kept, rowLength * i, rowLength);
        }
        return new Valid(cols, perRow, valid, kept);
    }

    /** The score threshold, NMS and cap on the valid rows' boxes. */
    private Detections choose(Valid v, float[] scores, int numClasses, DetectionSettings settings) {
        float[] kept = v.boxes;
        int[] valid = v.rows;
        int cols = v.cols, perRow = v.perRow;
        if (rules.conventions().perClassKthvalue()) {
            return perClass(kept, valid, scores, cols, perRow, numClasses, settings);
        }
        // candidates: every (row, class) above the threshold, in row-major order as torch.nonzero gives them
        int n = 0;
        int[] rows = new int[16], classes = new int[16];
        float[] candidateScores = new float[16];
        for (int i = 0; i < valid.length; i++) {
            int o = valid[i] * cols;
            for (int c = 0; c < numClasses; c++) {
                float s = scores[o + c];
                if (s > settings.scoreThreshold()) {
                    if (n == rows.length) {
                        rows = Arrays.copyOf(rows, 2 * n);
                        classes = Arrays.copyOf(classes, 2 * n);
                        candidateScores = Arrays.copyOf(candidateScores, 2 * n);
                    }
                    rows[n] = i;
                    classes[n] = c;
                    candidateScores[n++] = s;
                }
            }
        }
        float[] candidateBoxes = new float[4 * n];
        for (int i = 0; i < n; i++) {
            int box = perRow == 1 ? rows[i] : rows[i] * perRow + classes[i];
            System.arraycopy(kept, 4 * box, candidateBoxes, 4 * i, 4);
        }
        Selection s = new Selection(candidateBoxes, Arrays.copyOf(candidateScores, n), Arrays.copyOf(classes, n));
        int[] keep = rules.batched(s.boxes, s.scores, s.groups, settings.nmsThreshold());
        if (settings.detectionsPerImage() >= 0 && keep.length > settings.detectionsPerImage()) {
            keep = Arrays.copyOf(keep, settings.detectionsPerImage());
        }
        s = s.keep(keep);
        return new Detections(s.boxes, s.scores, s.groups);
    }

    /**
     * maskrcnn-benchmark's {@code PostProcessor.filter_results} (box_head/inference.py:108-149): for each class in
     * order, the rows scoring {@code > score_thresh} in row order, NMS among them (survivors in row order); the
     * classes' survivors concatenated; if more than {@code detections_per_image > 0}, the {@code (n - D + 1)}-th
     * smallest score ({@code torch.kthvalue}) is the cut and every detection scoring {@code >=} it stays (ties may
     * keep more than D). The order is kept: not sorted by score.
     */
    private Detections perClass(float[] kept, int[] valid, float[] scores, int cols, int perRow, int numClasses,
            DetectionSettings settings) {
        int r = valid.length;
        float[] outBoxes = new float[16];
        float[] outScores = new float[4];
        int[] outClasses = new int[4];
        int n = 0;
        for (int c = 0; c < numClasses; c++) {
            int m = 0;
            int[] rows = new int[r];
            for (int i = 0; i < r; i++) if (scores[valid[i] * cols + c] > settings.scoreThreshold()) rows[m++] = i;
            float[] cb = new float[4 * m], cs = new float[m];
            for (int k = 0; k < m; k++) {
                int i = rows[k];
                System.arraycopy(kept, 4 * (perRow == 1 ? i : i * perRow + c), cb, 4 * k, 4);
                cs[k] = scores[valid[i] * cols + c];
            }
            int[] keep = m == 0 ? new int[0] : rules.nms(cb, cs, settings.nmsThreshold());
            if (n + keep.length > outScores.length) {
                int cap = Math.max(2 * outScores.length, n + keep.length);
                outBoxes = Arrays.copyOf(outBoxes, 4 * cap);
                outScores = Arrays.copyOf(outScores, cap);
                outClasses = Arrays.copyOf(outClasses, cap);
            }
            for (int k : keep) {
                System.arraycopy(cb, 4 * k, outBoxes, 4 * n, 4);
                outScores[n] = cs[k];
                outClasses[n++] = c;
            }
        }
        int d = settings.detectionsPerImage();
        int[] chosen;
        if (n > d && d > 0) {
            float[] sorted = Arrays.copyOf(outScores, n);
            Arrays.sort(sorted);
            float cut = sorted[n - d]; // kthvalue(k = n - d + 1): the k-th smallest
            int[] keep = new int[n];
            int k = 0;
            for (int i = 0; i < n; i++) if (outScores[i] >= cut) keep[k++] = i;
            chosen = Arrays.copyOf(keep, k);
        } else {
            chosen = new int[n];
            for (int i = 0; i < n; i++) chosen[i] = i;
        }
        Selection s = new Selection(Arrays.copyOf(outBoxes, 4 * n), Arrays.copyOf(outScores, n),
                Arrays.copyOf(outClasses, n)).keep(chosen);
        return new Detections(s.boxes, s.scores, s.groups);
    }

    /** Rows whose box coordinates (all {@code 4 * perRow}) and every score are finite. */
    private static int[] validRows(float[] stageBoxes, float[] scores, int r, int cols, int perRow) {
        int[] out = new int[r];
        int n = 0, rowLength = 4 * perRow;
        for (int i = 0; i < r; i++) {
            boolean ok = true;
            for (int j = 0; j < rowLength; j++) ok &= Float.isFinite(stageBoxes[rowLength * i + j]);
            for (int c = 0; c < cols; c++) ok &= Float.isFinite(scores[i * cols + c]);
            if (ok) out[n++] = i;
        }
        return Arrays.copyOf(out, n);
    }
}
