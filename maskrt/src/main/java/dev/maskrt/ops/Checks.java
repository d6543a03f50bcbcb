package dev.maskrt.ops;

/**
 * The primitive argument rules (null, lengths, whole boxes, finite values, lower bounds) that each op's checks are
 * built from: {@link NmsChecks}, {@link BoxTransformChecks}, {@link RoiAlignChecks}, {@link MaskPasterChecks}, one
 * class per op, used by every implementation of that op. Each message names the offending argument. Stateless.
 */
public final class Checks {
    private Checks() {}

    /** Throws unless {@code array.length == expected}. */
    public static void length(String name, float[] array, long expected) {
        if (array == null) throw new IllegalArgumentException(name + " must not be null");
        if (array.length != expected) {
            throw new IllegalArgumentException(name + ": length " + array.length + " does not match the expected " + expected);
        }
    }

    /** Throws unless {@code array.length == expected}. */
    public static void length(String name, int[] array, long expected) {
        if (array == null) throw new IllegalArgumentException(name + " must not be null");
        if (array.length != expected) {
            throw new IllegalArgumentException(name + ": length " + array.length + " does not match the expected " + expected);
        }
    }

    /** Throws unless the boxes array holds whole boxes of 4 coordinates. Returns the number of boxes. */
    public static int boxCount(String name, float[] boxes) {
        if (boxes == null) throw new IllegalArgumentException(name + " must not be null");
        if (boxes.length % 4 != 0) {
            throw new IllegalArgumentException(name + ": length " + boxes.length + " is not a multiple of 4 (x0, y0, x1, y1)");
        }
        return boxes.length / 4;
    }

    /** Throws if any value is NaN or infinite. */
    public static void finite(String name, float[] values) {
        for (int i = 0; i < values.length; i++) {
            if (!Float.isFinite(values[i])) {
                throw new IllegalArgumentException(name + "[" + i + "] is not finite: " + values[i]);
            }
        }
    }

    /** Throws if any value is NaN (infinities allowed). */
    public static void notNaN(String name, float[] values) {
        for (int i = 0; i < values.length; i++) {
            if (Float.isNaN(values[i])) {
                throw new IllegalArgumentException(name + "[" + i + "] is NaN");
            }
        }
    }

    /** Throws unless {@code value >= min}. */
    public static void atLeast(String name, long value, long min) {
        if (value < min) {
            throw new IllegalArgumentException(name + " must be >= " + min + ", got " + value);
        }
    }
}
