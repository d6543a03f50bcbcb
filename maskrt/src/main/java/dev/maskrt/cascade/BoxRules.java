package dev.maskrt.cascade;

import dev.maskrt.model.Conventions;
import dev.maskrt.model.PoolerSettings;
import dev.maskrt.ops.BoxTransform;
import dev.maskrt.ops.LevelMapping;
import dev.maskrt.ops.Nms;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The box ops of one model's {@link Conventions}: detectron2's (continuous boxes, torchvision NMS),
 * maskrcnn-benchmark's ("+1" inclusive boxes, its NMS) or mmdetection's (its box coder, mmcv's NMS, its level
 * mapping), so that the pipeline's steps are written once and ask this class for decode, clip, the minimum-size
 * filter, NMS and the RoI level mapping. Thread-safe.
 */
final class BoxRules {
    private final Conventions conventions;
    private final BoxTransform boxes;
    private final Nms nms;

    BoxRules(Conventions conventions, BoxTransform boxes, Nms nms) {
        this.conventions = conventions;
        this.boxes = boxes;
        this.nms = nms;
    }

    Conventions conventions() { return conventions; }

    Nms nmsOp() { return nms; }

    BoxTransform boxOp() { return boxes; }

    /**
     * Box2BoxTransform.apply_deltas, maskrcnn-benchmark's BoxCoder.decode, or mmdetection's DeltaXYWHBBoxCoder
     * (whose target stds the manifest stores as the weights {@code 1 / std}; the exporter checks that
     * {@code float(1 / weight)} is the float32 std mmdetection multiplies by).
     */
    float[] decode(float[] deltas, float[] reference, float[] weights, float scaleClamp) {
        if (conventions.mmdetectionBoxCoder()) {
            float[] stds = new float[4];
            for (int i = 0; i < 4; i++) stds[i] = (float) (1.0 / weights[i]);
            return boxes.applyDeltasMmdetection(deltas, reference, stds, scaleClamp);
        }
        return conventions.plusOneBoxes() ? boxes.applyDeltasPlusOne(deltas, reference, weights, scaleClamp)
                : boxes.applyDeltas(deltas, reference, weights, scaleClamp);
    }

    /** In place: to {@code [0, W] × [0, H]}, or {@code [0, W - 1] × [0, H - 1]} for inclusive boxes. */
    void clip(float[] b, int height, int width) {
        if (conventions.plusOneBoxes()) {
            boxes.clipPlusOne(b, height, width);
        } else {
            boxes.clip(b, height, width);
        }
    }

    /** Boxes big enough: sides {@code > min} (detectron2 nonempty), or {@code x1 - x0 + 1 >= min} (remove_small_boxes). */
    int[] minSize(float[] b, float min) {
        return conventions.plusOneBoxes() ? boxes.minSizePlusOne(b, min) : boxes.nonEmpty(b, min);
    }

    /**
     * NMS of one group: torchvision's (kept in descending score order) or maskrcnn-benchmark's (kept in ascending
     * index order; a threshold {@code <= 0} keeps everything, as its {@code boxlist_nms} does).
     */
    int[] nms(float[] b, float[] scores, double threshold) {
        if (!conventions.plusOneNms()) return nms.nms(b, scores, torchvisionThreshold(threshold));
        if (threshold <= 0) return all(scores.length);
        return nms.nmsPlusOne(b, scores, (float) threshold);
    }

    /** NMS within each group, kept in descending score order over all groups (ties by ascending index). */
    int[] batched(float[] b, float[] scores, int[] groups, double threshold) {
        if (!conventions.plusOneNms()) return nms.batchedNms(b, scores, groups, torchvisionThreshold(threshold));
        Map<Integer, List<Integer>> byGroup = new TreeMap<>();
        for (int i = 0; i < groups.length; i++) byGroup.computeIfAbsent(groups[i], g -> new ArrayList<>()).add(i);
        List<Integer> kept = new ArrayList<>();
        for (List<Integer> members : byGroup.values()) {
            float[] gb = new float[4 * members.size()], gs = new float[members.size()];
            for (int k = 0; k < members.size(); k++) {
                System.arraycopy(b, 4 * members.get(k), gb, 4 * k, 4);
                gs[k] = scores[members.get(k)];
            }
            for (int k : nms(gb, gs, threshold)) kept.add(members.get(k));
        }
        Integer[] order = kept.toArray(new Integer[0]);
        Arrays.sort(order, (x, y) -> {
            int c = Float.compare(scores[y] == 0f ? 0f : scores[y], scores[x] == 0f ? 0f : scores[x]);
            return c != 0 ? c : Integer.compare(x, y);
        });
        return Arrays.stream(order).mapToInt(Integer::intValue).toArray();
    }

    /**
     * The threshold to give torchvision-style NMS ({@code IoU > t} with a double {@code t}): {@code t} itself, or for
     * mmcv's NMS ({@code nms_cpu}, {@code mmcv/ops/csrc/pytorch/nms.cpp}:12-61 at v1.3.9: {@code IoU >= float(t)}) the
     * largest double below {@code float(t)}, so that exactly the IoUs {@code >= float(t)} suppress.
     */
    private double torchvisionThreshold(double threshold) {
        return conventions.mmcvNms() ? Math.nextDown((double) (float) threshold) : threshold;
    }

    /**
     * The level mapping of a pooler: detectron2's, maskrcnn-benchmark's LevelMapper (inclusive areas), or
     * mmdetection's {@code map_roi_levels} with the pooler's {@code finest_scale}.
     */
    LevelMapping levelMapping(PoolerSettings p) {
        if (conventions.mmdetectionLevelMapper()) return LevelMapping.mmdetection(p.finestScale());
        return conventions.plusOneBoxes()
                ? LevelMapping.maskrcnnBenchmark(p.canonicalBoxSize(), p.canonicalLevel(), conventions.levelMapperEps())
                : LevelMapping.detectron2(p.canonicalBoxSize(), p.canonicalLevel(), conventions.levelMapperEps());
    }

    private static int[] all(int n) {
        int[] out = new int[n];
        for (int i = 0; i < n; i++) out[i] = i;
        return out;
    }
}
