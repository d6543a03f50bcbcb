package dev.maskrt.cascade;

import dev.maskrt.model.RoiHeadSettings;

/**
 * The detection settings a user may override at run time; everything else comes from the model manifest.
 *
 * @param scoreThresh detections need a mean stage score {@code > scoreThresh} (float32 comparison)
 * @param nmsThresh IoU above which the per-class NMS of the final detections suppresses, in {@code [0, 1]}
 * @param detectionsPerImage keep at most this many detections per image; negative keeps all
 * @param maskThreshold a pasted mask probability {@code >=} this is foreground
 */
public record CascadeSettings(float scoreThresh, double nmsThresh, int detectionsPerImage, float maskThreshold) {
    /** @throws IllegalArgumentException naming the setting that is NaN or out of range */
    public CascadeSettings {
        if (!Float.isFinite(scoreThresh)) throw new IllegalArgumentException("scoreThresh must be finite, got " + scoreThresh);
        if (!(nmsThresh >= 0 && nmsThresh <= 1)) {
            throw new IllegalArgumentException("nmsThresh must be in [0, 1], got " + nmsThresh);
        }
        if (!(maskThreshold >= 0) || Float.isInfinite(maskThreshold)) {
            throw new IllegalArgumentException("maskThreshold must be finite and >= 0, got " + maskThreshold);
        }
    }

    /** The manifest's values. */
    public static CascadeSettings of(RoiHeadSettings roiHeads) {
        return new CascadeSettings(roiHeads.scoreThresh(), roiHeads.nmsThresh(), roiHeads.detectionsPerImage(),
                roiHeads.maskThreshold());
    }
}
