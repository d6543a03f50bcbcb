package dev.maskrt.cascade;

/**
 * Sigmoid mask probabilities of n detections, {@code float[n * height * width]} row-major.
 *
 * @param height rows of each mask (28 for detectron2's mask head)
 * @param width columns of each mask
 */
public record MaskProbabilities(float[] values, int height, int width) {
    public int count() { return values.length / (height * width); }
}
