package dev.maskrt.model;

import dev.maskrt.config.DetectionSettings;

/**
 * The manifest's {@code roi_heads} section: cascade box stages, final detections and the mask head. Immutable; the
 * arrays returned are copies.
 *
 * @param scoreThreshold detections need a mean stage score {@code > scoreThreshold} (float32 comparison)
 * @param nmsThreshold IoU above which the per-class NMS of the final detections suppresses
 * @param detectionsPerImage keep at most this many detections; negative keeps all
 * @param stageBboxRegWeights per cascade stage, the {@code (wx, wy, ww, wh)} decoding weights; its length is the
 *     number of stages
 * @param scaleClamp upper clamp of {@code dw, dh}
 * @param boxPooler RoIAlign feeding the box heads
 * @param maskPooler RoIAlign feeding the mask head
 * @param maskThreshold a pasted mask probability {@code >=} this is foreground
 * @param maskClassAgnostic the mask head predicts one mask instead of one per class
 */
public record RoiHeadSettings(float scoreThreshold, double nmsThreshold, int detectionsPerImage,
        float[][] stageBboxRegWeights, float scaleClamp, PoolerSettings boxPooler, PoolerSettings maskPooler,
        float maskThreshold, boolean maskClassAgnostic) {
    public RoiHeadSettings {
        stageBboxRegWeights = deepCopy(stageBboxRegWeights);
    }

    /** Number of cascade stages. */
    public int stages() { return stageBboxRegWeights.length; }

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
