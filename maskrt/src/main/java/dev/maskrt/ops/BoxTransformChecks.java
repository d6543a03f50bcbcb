package dev.maskrt.ops;

/**
 * The argument checks of {@link BoxTransform}, shared by every implementation (CPU and CUDA) so that each refuses
 * the same inputs with the same message before doing any work; messages name the argument. Stateless.
 */
public final class BoxTransformChecks {
    private BoxTransformChecks() {}

    /**
     * Checks the arguments of {@link BoxTransform#applyDeltas(float[], float[], float[], float)} and returns the
     * number of boxes.
     *
     * @throws IllegalArgumentException naming the first bad argument
     */
    public static int applyDeltas(float[] deltas, float[] boxes, float[] weights, float scaleClamp) {
        int r = Checks.boxCount("deltas", deltas);
        Checks.length("boxes", boxes, deltas.length);
        weights(weights, scaleClamp);
        return r;
    }

    /**
     * The decode parameters: four weights, each finite and {@code > 0}, and a scale clamp that is not NaN.
     *
     * @throws IllegalArgumentException naming the first bad argument
     */
    public static void weights(float[] weights, float scaleClamp) {
        Checks.length("weights", weights, 4);
        for (int i = 0; i < 4; i++) {
            if (!(weights[i] > 0) || Float.isInfinite(weights[i])) {
                throw new IllegalArgumentException("weights[" + i + "] must be finite and > 0, got " + weights[i]);
            }
        }
        if (Float.isNaN(scaleClamp)) throw new IllegalArgumentException("scaleClamp is NaN");
    }

    /**
     * Checks the arguments of {@link BoxTransform#clip} and returns the number of boxes.
     *
     * @throws IllegalArgumentException naming the first bad argument
     */
    public static int clip(float[] boxes, int imageHeight, int imageWidth) {
        int r = Checks.boxCount("boxes", boxes);
        Checks.finite("boxes", boxes);
        Checks.atLeast("imageHeight", imageHeight, 0);
        Checks.atLeast("imageWidth", imageWidth, 0);
        return r;
    }

    /**
     * Checks the arguments of {@link BoxTransform#nonEmpty} and returns the number of boxes.
     *
     * @throws IllegalArgumentException naming the first bad argument
     */
    public static int nonEmpty(float[] boxes, float threshold) {
        int r = Checks.boxCount("boxes", boxes);
        if (!(threshold >= 0) || Float.isInfinite(threshold)) {
            throw new IllegalArgumentException("threshold must be finite and >= 0, got " + threshold);
        }
        return r;
    }

    /**
     * Checks the arguments of {@link BoxTransform#finite} and returns the number of boxes.
     *
     * @throws IllegalArgumentException naming the first bad argument
     */
    public static int finite(float[] boxes, float[] scores) {
        int r = Checks.boxCount("boxes", boxes);
        Checks.length("scores", scores, r);
        return r;
    }
}
