package dev.maskrt.model;

import dev.maskrt.config.DetectionSettings;

/**
 * The manifest's {@code roi_heads} section: the box stages (three in a cascade, one in detectron2's
 * {@code StandardROIHeads}), final detections and, for a model with masks, the mask head. Immutable; the arrays
 * returned are copies.
 *
 * @param scoreThreshold detections need a mean stage score {@code > scoreThreshold} (float32 comparison)
 * @param nmsThreshold IoU above which the per-class NMS of the final detections suppresses
 * @param detectionsPerImage keep at most this many detections; negative keeps all
 * @param stageBboxRegWeights per box stage, the {@code (wx, wy, ww, wh)} decoding weights; its length is the
 *     number of stages
 * @param classAgnosticBoxes each box head regresses one box per RoI ({@code box_deltas [R, 4]}) instead of one
 *     per class ({@code [R, 4K]}, detectron2's default for Mask / Faster R-CNN); always true in a cascade
 * @param scaleClamp upper clamp of {@code dw, dh}
 * @param boxPooler RoIAlign feeding the box heads
 * @param maskPooler RoIAlign feeding the mask head; null for a box-only model (no mask head)
 * @param maskThreshold a pasted mask probability {@code >=} this is foreground
 * @param maskClassAgnostic the mask head predicts one mask instead of one per class
 */
public record RoiHeadSettings(float scoreThreshold, double nmsThreshold, int detectionsPerImage,
        float[][] stageBboxRegWeights, boolean classAgnosticBoxes, float scaleClamp, PoolerSettings boxPooler,
        PoolerSettings maskPooler, float maskThreshold, boolean maskClassAgnostic) {
    /** detectron2's paste threshold, the mask threshold of a package that has no mask head. */
    public static final float DEFAULT_MASK_THRESHOLD = 0.5f;

    public RoiHeadSettings {
        stageBboxRegWeights = deepCopy(stageBboxRegWeights);
    }

    /** Number of box stages: 3 in a cascade, 1 in a Mask / Faster R-CNN. */
    public int stages() { return stageBboxRegWeights.length; }

    /** Whether the model has a mask head (false for a box-only model such as Faster R-CNN). */
    public boolean hasMaskHead() { return maskPooler != null; }

    @Override
    public float[][] stageBboxRegWeights() { return deepCopy(stageBboxRegWeights); }

    /** The decoding weights of stage {@code k} (a copy). */
    public float[] stageWeights(int k) { return stageBboxRegWeights[k].clone(); }

    private static float[][] deepCopy(float[][] a) {
        float[][] out = new float[a.length][];
        for (int i = 0; i < a.length; i++) out[i] = a[i].clone();
        return out;
    }

    /** The manifest's detection settings, before any run-time override. */
    public DetectionSettings detectionSettings() {
        return new DetectionSettings(scoreThreshold, nmsThreshold, detectionsPerImage, maskThreshold);
    }
}
