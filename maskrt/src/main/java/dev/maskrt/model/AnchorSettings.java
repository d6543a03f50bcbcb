package dev.maskrt.model;

/**
 * The manifest's {@code anchors} section (detectron2 {@code DefaultAnchorGenerator}), one entry per RPN level,
 * finest first. Every level has the same number of anchors per cell, {@link #anchorsPerCell()}. Immutable; the
 * arrays returned are copies.
 *
 * @param strides level strides in input pixels (4, 8, ... for p2, p3, ...), powers of two
 * @param sizes anchor sizes per level, pixels of the resized image
 * @param aspectRatios height / width ratios per level
 * @param offset grid offset in units of the stride, in {@code [0, 1)}
 */
public record AnchorSettings(int[] strides, double[][] sizes, double[][] aspectRatios, double offset) {
    public AnchorSettings {
        strides = strides.clone();
        sizes = deepCopy(sizes);
        aspectRatios = deepCopy(aspectRatios);
    }

    /** Number of levels. */
    public int levels() { return strides.length; }

    /** A: anchors per grid cell, {@code sizes[l].length * aspectRatios[l].length} (equal on all levels). */
    public int anchorsPerCell() { return sizes[0].length * aspectRatios[0].length; }

    /** The backbone's feature name of level {@code l}: {@code "p" + log2(stride)}. */
    public String featureName(int level) { return "p" + Integer.numberOfTrailingZeros(strides[level]); }

    @Override
    public int[] strides() { return strides.clone(); }

    @Override
    public double[][] sizes() { return deepCopy(sizes); }

    @Override
    public double[][] aspectRatios() { return deepCopy(aspectRatios); }

    private static double[][] deepCopy(double[][] a) {
        double[][] out = new double[a.length][];
        for (int i = 0; i < a.length; i++) out[i] = a[i].clone();
        return out;
    }
}
