package dev.maskrt.selfcheck;

/**
 * When two backends' detections of one image count as the same: matched one to one, the same class, box IoU
 * {@code >= minBoxIou}, {@code |score difference| <= maxScoreDiff}, mask IoU {@code >= minMaskIou}. Immutable.
 */
public record ParityCriteria(double minBoxIou, double maxScoreDiff, double minMaskIou) {
    /** The pipeline's FP32 parity criteria: box IoU 0.99, score difference 1e-3, mask IoU 0.98. */
    public static final ParityCriteria FP32 = new ParityCriteria(0.99, 1e-3, 0.98);

    public ParityCriteria {
        if (!(minBoxIou > 0 && minBoxIou <= 1)) throw new IllegalArgumentException("minBoxIou must be in (0, 1], got " + minBoxIou);
        if (!(maxScoreDiff >= 0)) throw new IllegalArgumentException("maxScoreDiff must be >= 0, got " + maxScoreDiff);
        if (!(minMaskIou >= 0 && minMaskIou <= 1)) throw new IllegalArgumentException("minMaskIou must be in [0, 1], got " + minMaskIou);
    }
}
