package dev.maskrt.cascade;

/**
 * The final detections of one image in resized-image pixels, in descending score order (maskrcnn-benchmark models:
 * in its order, classes in turn, each class's survivors in proposal order).
 *
 * @param boxes {@code float[4n]} clipped to the resized image
 * @param scores {@code float[n]}
 * @param classes {@code int[n]} class indices 0..K-1
 */
public record Detections(float[] boxes, float[] scores, int[] classes) {
    public int count() { return scores.length; }

    static Detections empty() {
        return new Detections(new float[0], new float[0], new int[0]);
    }
}
