package dev.maskrt.config;

/**
 * The detection settings a user may override at run time ({@code PredictorOptions}, {@code maskrt predict}
 * options); everything else comes from the model manifest. Immutable.
 *
 * @param scoreThreshold detections need a mean stage score {@code > scoreThreshold} (float32 comparison)
 * @param nmsThreshold IoU above which the per-class NMS of the final detections suppresses, in {@code [0, 1]}
 * @param detectionsPerImage keep at most this many detections per image; negative keeps all
 * @param maskThreshold a pasted mask probability {@code >=} this is foreground
 */
public record DetectionSettings(float scoreThreshold, double nmsThreshold, int detectionsPerImage, float maskThreshold) {
    /**
     * Checks the settings.
     *
     * @param scoreThreshold detections need a mean stage score {@code > scoreThreshold}, finite
     * @param nmsThreshold the final per-class NMS IoU threshold, in {@code [0, 1]}
     * @param detectionsPerImage the detections cap; negative keeps all
     * @param maskThreshold the mask probability threshold, finite and {@code >= 0}
     * @throws IllegalArgumentException naming the setting that is NaN or out of range
     */
    public DetectionSettings {
        if (!Float.isFinite(scoreThreshold)) throw new IllegalArgumentException("scoreThreshold must be finite, got " + scoreThreshold);
        if (!(nmsThreshold >= 0 && nmsThreshold <= 1)) {
            throw new IllegalArgumentException("nmsThreshold must be in [0, 1], got " + nmsThreshold);
        }
        if (!(maskThreshold >= 0) || Float.isInfinite(maskThreshold)) {
            throw new IllegalArgumentException("maskThreshold must be finite and >= 0, got " + maskThreshold);
        }
    }
}
