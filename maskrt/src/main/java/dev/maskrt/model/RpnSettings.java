package dev.maskrt.model;

/**
 * The manifest's {@code rpn} section: test-time proposal selection (detectron2 {@code find_top_rpn_proposals}).
 * Immutable; the array returned is a copy.
 *
 * @param preNmsTopk per level, the highest logits kept before NMS, {@code >= 1}
 * @param postNmsTopk proposals kept after NMS over all levels, {@code >= 1}
 * @param nmsThreshold IoU above which the per-level NMS suppresses (compared in double, as torchvision does)
 * @param minBoxSize proposals need width and height {@code > minBoxSize} (float32 comparison)
 * @param bboxRegWeights {@code (wx, wy, ww, wh)} for decoding anchor deltas
 * @param scaleClamp upper clamp of {@code dw, dh} after dividing by the weights
 */
public record RpnSettings(int preNmsTopk, int postNmsTopk, double nmsThreshold, float minBoxSize, float[] bboxRegWeights,
        float scaleClamp) {
    public RpnSettings {
        bboxRegWeights = bboxRegWeights.clone();
    }

    @Override
    public float[] bboxRegWeights() { return bboxRegWeights.clone(); }
}
