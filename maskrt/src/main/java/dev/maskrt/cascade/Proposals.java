package dev.maskrt.cascade;

/**
 * RPN proposals of one image, in descending logit order.
 *
 * @param boxes {@code float[4P]}, {@code (x0, y0, x1, y1)} in resized-image pixels, clipped, non-empty
 * @param logits {@code float[P]} objectness logits
 */
public record Proposals(float[] boxes, float[] logits) {
    /** Number of proposals P. */
    public int count() { return logits.length; }
}
