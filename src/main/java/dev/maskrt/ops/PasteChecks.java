package dev.maskrt.ops;

/** The argument rules of {@link MaskPaster#paste}, shared by every implementation; messages name the argument. */
public final class PasteChecks {
    private PasteChecks() {}

    /** Checks the arguments of {@link MaskPaster#paste} and returns the number of instances. */
    public static int check(float[] masks, int maskHeight, int maskWidth, float[] boxes, int imageHeight,
            int imageWidth, float threshold) {
        Checks.atLeast("maskHeight", maskHeight, 1);
        Checks.atLeast("maskWidth", maskWidth, 1);
        int n = Checks.boxCount("boxes", boxes);
        Checks.length("masks", masks, (long) n * maskHeight * maskWidth);
        Checks.notNaN("boxes", boxes);
        Checks.atLeast("imageHeight", imageHeight, 1);
        Checks.atLeast("imageWidth", imageWidth, 1);
        if (!(threshold >= 0f) || threshold == Float.POSITIVE_INFINITY) {
            throw new IllegalArgumentException("threshold must be finite and >= 0, got " + threshold);
        }
        return n;
    }
}
