package dev.maskrt.cascade;

import dev.maskrt.config.DetectionSettings;

import dev.maskrt.ops.BoxTransform;
import dev.maskrt.ops.Nms;
import java.util.Arrays;

/**
 * detectron2's {@code fast_rcnn_inference_single_image}, with one class-agnostic box per proposal or one box per
 * (proposal, class): drop rows with a non-finite box or score, drop the background column, clip, keep every (row,
 * class) scoring above the threshold with that class's box (the row's only box when agnostic), NMS per class, keep
 * the best {@code detectionsPerImage}. Thread-safe.
 */
final class DetectionSelector {
    private final BoxTransform boxes;
    private final Nms nms;

    DetectionSelector(BoxTransform boxes, Nms nms) {
        this.boxes = boxes;
        this.nms = nms;
    }

    /**
     * @param stageBoxes the last stage's boxes: {@code float[4R]} (class-agnostic) or {@code float[4RK]} (one per
     *     class, row-major)
     * @param scores {@code float[R * (K + 1)]} mean stage probabilities, background last
     */
    Detections select(float[] stageBoxes, float[] scores, int numClasses, int height, int width,
            DetectionSettings settings) {
        int cols = numClasses + 1, r = scores.length / cols;
        int perRow = r == 0 ? 1 : stageBoxes.length / (4 * r); // 1 (agnostic) or K
        int[] valid = validRows(stageBoxes, scores, r, cols, perRow);
        int rowLength = 4 * perRow;
        float[] kept = new float[rowLength * valid.length];
        for (int i = 0; i < valid.length; i++) {
            System.arraycopy(stageBoxes, rowLength * valid[i], kept, rowLength * i, rowLength);
        }
        boxes.clip(kept, height, width);
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
        int[] keep = nms.batchedNms(s.boxes, s.scores, s.groups, settings.nmsThreshold());
        if (settings.detectionsPerImage() >= 0 && keep.length > settings.detectionsPerImage()) {
            keep = Arrays.copyOf(keep, settings.detectionsPerImage());
        }
        s = s.keep(keep);
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
