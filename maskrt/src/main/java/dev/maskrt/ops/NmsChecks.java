package dev.maskrt.ops;

/**
 * The argument checks of {@link Nms}, shared by every implementation (CPU and CUDA) so that each refuses the same
 * inputs with the same message before doing any work; messages name the argument. An implementation may add its
 * own limits afterwards (the CUDA one caps the box count). Stateless.
 */
public final class NmsChecks {
    private NmsChecks() {}

    /**
     * Checks the arguments of {@link Nms#nms} and returns the number of boxes.
     *
     * @throws IllegalArgumentException naming the first bad argument
     */
    public static int nms(float[] boxes, float[] scores, double iouThreshold) {
        int n = boxesAndScores(boxes, scores);
        iouThreshold(iouThreshold);
        return n;
    }

    /**
     * Checks the arguments of {@link Nms#batchedNms} and returns the number of boxes.
     *
     * @throws IllegalArgumentException naming the first bad argument
     */
    public static int batchedNms(float[] boxes, float[] scores, int[] groups, double iouThreshold) {
        int n = boxesAndScores(boxes, scores);
        Checks.length("groups", groups, n);
        iouThreshold(iouThreshold);
        return n;
    }

    /**
     * Checks the arguments of {@link Nms#topK}.
     *
     * @throws IllegalArgumentException when {@code scores} is null or {@code k < 0}
     */
    public static void topK(float[] scores, int k) {
        if (scores == null) throw new IllegalArgumentException("scores must not be null");
        Checks.atLeast("k", k, 0);
    }

    /** @throws IllegalArgumentException unless {@code iouThreshold} is finite and {@code >= 0} */
    public static void iouThreshold(double iouThreshold) {
        if (!(iouThreshold >= 0) || Double.isInfinite(iouThreshold)) {
            throw new IllegalArgumentException("iouThreshold must be finite and >= 0, got " + iouThreshold);
        }
    }

    private static int boxesAndScores(float[] boxes, float[] scores) {
        int n = Checks.boxCount("boxes", boxes);
        Checks.length("scores", scores, n);
        Checks.finite("boxes", boxes);
        Checks.notNaN("scores", scores);
        return n;
    }
}
