package dev.maskrt.ops;

/**
 * The argument checks of {@link MaskPaster}, shared by every implementation (CPU and CUDA) so that each refuses the
 * same inputs with the same message before doing any work; messages name the argument. Stateless.
 */
public final class MaskPasterChecks {
    private MaskPasterChecks() {}

    /**
     * Checks the arguments of {@link MaskPaster#paste} and returns the number of instances.
     *
     * @throws IllegalArgumentException naming the first bad argument
     */
    public static int paste(float[] masks, int maskHeight, int maskWidth, float[] boxes, int imageHeight,
            int imageWidth, float threshold) {
        maskSize(maskHeight, maskWidth);
        int n = Checks.boxCount("boxes", boxes);
        Checks.length("masks", masks, (long) n * maskHeight * maskWidth);
        Checks.notNaN("boxes", boxes);
        imageSize(imageHeight, imageWidth);
        threshold(threshold);
        return n;
    }

    /** @throws IllegalArgumentException unless both sides are {@code >= 1} */
    public static void maskSize(int maskHeight, int maskWidth) {
        Checks.atLeast("maskHeight", maskHeight, 1);
        Checks.atLeast("maskWidth", maskWidth, 1);
    }

    /** @throws IllegalArgumentException unless both sides are {@code >= 1} */
    public static void imageSize(int imageHeight, int imageWidth) {
        Checks.atLeast("imageHeight", imageHeight, 1);
        Checks.atLeast("imageWidth", imageWidth, 1);
    }

    /** @throws IllegalArgumentException unless {@code threshold} is finite and {@code >= 0} */
    public static void threshold(float threshold) {
        if (!(threshold >= 0f) || threshold == Float.POSITIVE_INFINITY) {
            throw new IllegalArgumentException("threshold must be finite and >= 0, got " + threshold);
        }
    }
}
