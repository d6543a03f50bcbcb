package dev.maskrt.engine.tensorrt;

import java.util.Arrays;

/**
 * The min / opt / max shapes of one dynamic input in a TensorRT optimisation profile: every run must have a shape
 * between {@code min} and {@code max} on every axis; TensorRT tunes for {@code opt}. Immutable.
 */
public final class ShapeRange {
    private final long[] min;
    private final long[] opt;
    private final long[] max;

    /** @throws IllegalArgumentException unless the ranks agree and {@code 0 <= min <= opt <= max} on every axis */
    public ShapeRange(long[] min, long[] opt, long[] max) {
        if (min == null || opt == null || max == null) throw new IllegalArgumentException("shapes must not be null");
        if (min.length != opt.length || opt.length != max.length) {
            throw new IllegalArgumentException("ranks differ: min " + Arrays.toString(min) + ", opt "
                    + Arrays.toString(opt) + ", max " + Arrays.toString(max));
        }
        for (int i = 0; i < min.length; i++) {
            if (min[i] < 0 || min[i] > opt[i] || opt[i] > max[i]) {
                throw new IllegalArgumentException("axis " + i + ": need 0 <= min <= opt <= max, got " + min[i] + ", "
                        + opt[i] + ", " + max[i]);
            }
        }
        this.min = min.clone();
        this.opt = opt.clone();
        this.max = max.clone();
    }

    public long[] min() { return min.clone(); }

    public long[] opt() { return opt.clone(); }

    public long[] max() { return max.clone(); }

    public int rank() { return min.length; }

    /** Whether {@code shape} lies inside the range on every axis. */
    public boolean contains(long[] shape) {
        if (shape.length != min.length) return false;
        for (int i = 0; i < shape.length; i++) if (shape[i] < min[i] || shape[i] > max[i]) return false;
        return true;
    }

    /** e.g. {@code min [1, 3, 32, 32] opt [1, 3, 320, 448] max [1, 3, 512, 512]}. */
    @Override
    public String toString() {
        return "min " + Arrays.toString(min) + " opt " + Arrays.toString(opt) + " max " + Arrays.toString(max);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ShapeRange r && Arrays.equals(min, r.min) && Arrays.equals(opt, r.opt)
                && Arrays.equals(max, r.max);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * Arrays.hashCode(min) + Arrays.hashCode(opt)) + Arrays.hashCode(max);
    }
}
