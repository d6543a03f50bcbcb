package dev.maskrt.ops;

/**
 * Non-maximum suppression and score ranking with torchvision 0.14 / detectron2 semantics. Boxes are
 * {@code float[4N]}, {@code (x0, y0, x1, y1)} per box; results are box indices.
 *
 * <p><b>Ranking</b>: everywhere, boxes are ranked by descending score; equal scores (including {@code -0} and
 * {@code +0}) keep ascending index order. This is the stable descending sort torchvision's CPU {@code nms}
 * uses.
 *
 * <p><b>IoU</b>: for a higher-ranked box {@code i} and a lower-ranked box {@code j}, as torchvision's CPU kernel
 * computes it in float32: {@code w = max(0, min(x1i, x1j) - max(x0i, x0j))}, likewise {@code h},
 * {@code inter = w·h}, {@code iou = inter / (area_i + area_j - inter)} with {@code area = (x1 - x0)·(y1 - y0)};
 * {@code j} is suppressed when {@code iou > iouThreshold}, the float IoU being compared with the double
 * threshold (so an IoU of 3/10, which rounds to the float 0.3000000119, is above a threshold of 0.3). Boxes
 * are not normalised: a box with {@code x1 <= x0} or {@code y1 <= y0} overlaps nothing.
 *
 * <p>Implementations are thread-safe, and their results never depend on their thread count.
 */
public interface Nms {
    /**
     * torchvision.ops.nms: greedy suppression in ranking order.
     *
     * @param boxes        {@code float[4N]}, finite
     * @param scores       {@code float[N]}, not NaN (±infinity allowed)
     * @param iouThreshold finite, {@code >= 0}
     * @return kept indices in ranking order (descending score)
     */
    int[] nms(float[] boxes, float[] scores, double iouThreshold);

    /**
     * torchvision.ops.batched_nms: {@link #nms} within each group; boxes of different groups never suppress
     * each other. The IoU is always the exact per-group IoU above, i.e. torchvision's per-class path
     * ({@code _batched_nms_vanilla}). torchvision itself switches to a coordinate-offset trick for at most 1000
     * boxes on CPU, which adds {@code group · (max coordinate + 1)} to every coordinate and so rounds IoUs of
     * small boxes in high groups differently; where that flips a decision, maskrt keeps the exact answer.
     *
     * @param groups {@code int[N]} group (class, level) of each box, any int values
     * @return kept indices in ranking order over all groups (descending score, ties by ascending index)
     */
    int[] batchedNms(float[] boxes, float[] scores, int[] groups, double iouThreshold);

    /**
     * The {@code min(k, N)} highest scores, as {@code torch.topk} in detectron2's {@code find_top_rpn_proposals}
     * picks them. NaN ranks above +infinity, as in torch. Ties are broken by ascending index (torch.topk leaves
     * the order of ties unspecified; its values always equal ours, its indices equal ours wherever the scores
     * are distinct).
     *
     * @param scores {@code float[N]}
     * @param k      {@code >= 0}
     * @return indices in ranking order
     */
    int[] topK(float[] scores, int k);

    /**
     * maskrcnn-benchmark's NMS ({@code maskrcnn_benchmark/csrc/cpu/nms_cpu.cpp}:5-65; its CUDA kernel suppresses at
     * {@code >} instead, which differs only at an IoU exactly equal to the threshold): areas and intersections of inclusive pixel ranges ({@code x1 - x0 + 1}), greedy in descending score
     * order (ties by ascending index), and box {@code j} is suppressed when {@code iou >= iouThreshold}, both float32
     * (the kernel's {@code const float threshold}).
     *
     * @param boxes {@code float[4N]}, finite
     * @param scores {@code float[N]}, not NaN
     * @param iouThreshold finite, {@code >= 0}
     * @return the kept indices in ascending index order ({@code nonzero(suppressed == 0)}), not in score order
     */
    int[] nmsPlusOne(float[] boxes, float[] scores, float iouThreshold);
}
