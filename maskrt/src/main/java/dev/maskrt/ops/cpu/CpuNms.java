package dev.maskrt.ops.cpu;

import dev.maskrt.util.Workers;

import dev.maskrt.ops.Nms;
import dev.maskrt.ops.NmsChecks;
import java.util.Arrays;

/**
 * Pure-Java {@link Nms}: one sort, contiguous coordinate arrays, and candidates tested in parallel blocks
 * against the boxes kept so far (see {@code GreedySuppression}). Thread-safe; results are identical for every
 * thread count.
 */
public final class CpuNms implements Nms {
    private final Workers workers;

    /** Single-threaded. */
    public CpuNms() {
        this(null);
    }

    /** @param workers threads for the suppression tests; {@code null} runs on the calling thread */
    public CpuNms(Workers workers) {
        this.workers = workers;
    }

    @Override
    public int[] nms(float[] boxes, float[] scores, double iouThreshold) {
        int n = NmsChecks.nms(boxes, scores, iouThreshold);
        float minIou = minSuppressingIou(iouThreshold);
        int[] order = ScoreOrder.rank(scores);
        boolean[] kept = new boolean[n];
        GreedySuppression.run(boxes, order, 0, n, minIou, workers, kept);
        return keptInOrder(order, kept);
    }

    @Override
    public int[] batchedNms(float[] boxes, float[] scores, int[] groups, double iouThreshold) {
        int n = NmsChecks.batchedNms(boxes, scores, groups, iouThreshold);
        float minIou = minSuppressingIou(iouThreshold);
        int[] order = ScoreOrder.rank(scores);
        // stable counting sort of the ranking by dense group id: each group's candidates stay in ranking order
        int[] distinct = Arrays.stream(groups).sorted().distinct().toArray();
        int[] start = new int[distinct.length + 1];
        int[] dense = new int[n];
        for (int i = 0; i < n; i++) {
            dense[i] = Arrays.binarySearch(distinct, groups[i]);
            start[dense[i] + 1]++;
        }
        for (int g = 0; g < distinct.length; g++) start[g + 1] += start[g];
        int[] byGroup = new int[n];
        int[] fill = Arrays.copyOf(start, distinct.length);
        for (int index : order) byGroup[fill[dense[index]]++] = index;
        boolean[] kept = new boolean[n];
        for (int g = 0; g < distinct.length; g++) {
            GreedySuppression.run(boxes, byGroup, start[g], start[g + 1], minIou, workers, kept);
        }
        return keptInOrder(order, kept);
    }

    @Override
    public int[] topK(float[] scores, int k) {
        NmsChecks.topK(scores, k);
        return ScoreOrder.top(scores, k);
    }

    /**
     * The smallest float {@code f} with {@code (double) f > threshold}: torchvision compares the float IoU with
     * the double threshold, and {@code iou > threshold} holds exactly when {@code iou >= f}.
     */
    static float minSuppressingIou(double threshold) {
        NmsChecks.iouThreshold(threshold);
        float f = (float) threshold;
        return (double) f > threshold ? f : Math.nextUp(f);
    }

    private static int[] keptInOrder(int[] order, boolean[] kept) {
        int[] out = new int[order.length];
        int m = 0;
        for (int index : order) {
            if (kept[index]) out[m++] = index;
        }
        return Arrays.copyOf(out, m);
    }

    @Override
    public int[] nmsPlusOne(float[] boxes, float[] scores, float iouThreshold) {
        int n = NmsChecks.nms(boxes, scores, iouThreshold);
        int[] order = ScoreOrder.rank(scores);
        float[] areas = new float[n];
        for (int i = 0; i < n; i++) {
            areas[i] = (boxes[4 * i + 2] - boxes[4 * i] + 1f) * (boxes[4 * i + 3] - boxes[4 * i + 1] + 1f);
        }
        boolean[] suppressed = new boolean[n];
        // maskrcnn_benchmark/csrc/cpu/nms_cpu.cpp:37-63, float32 in its order
        for (int oi = 0; oi < n; oi++) {
            int i = order[oi];
            if (suppressed[i]) continue;
            float ix1 = boxes[4 * i], iy1 = boxes[4 * i + 1], ix2 = boxes[4 * i + 2], iy2 = boxes[4 * i + 3];
            float iarea = areas[i];
            for (int oj = oi + 1; oj < n; oj++) {
                int j = order[oj];
                if (suppressed[j]) continue;
                float xx1 = Math.max(ix1, boxes[4 * j]);
                float yy1 = Math.max(iy1, boxes[4 * j + 1]);
                float xx2 = Math.min(ix2, boxes[4 * j + 2]);
                float yy2 = Math.min(iy2, boxes[4 * j + 3]);
                float w = Math.max(0f, xx2 - xx1 + 1f);
                float h = Math.max(0f, yy2 - yy1 + 1f);
                float inter = w * h;
                float ovr = inter / (iarea + areas[j] - inter);
                if (ovr >= iouThreshold) suppressed[j] = true;
            }
        }
        int[] kept = new int[n];
        int k = 0;
        for (int i = 0; i < n; i++) if (!suppressed[i]) kept[k++] = i;
        return java.util.Arrays.copyOf(kept, k);
    }
}
