package dev.maskrt.model;

import java.util.Arrays;

/**
 * The manifest's {@code test_aug} section: detectron2's test-time augmentation ({@code TEST.AUG}, run by
 * {@code GeneralizedRCNNWithTTA} with {@code DatasetMapperTTA}). Each short side in {@code minSizes} gives one
 * augmentation (ResizeShortestEdge to it, long side at most {@code maxSize}) and, with {@code flip}, a second one
 * flipped horizontally after resizing. Immutable; the array returned is a copy.
 *
 * @param enabled whether predictors use TTA unless told otherwise ({@code TEST.AUG.ENABLED})
 * @param minSizes short sides, each {@code >= 1}, at least one ({@code TEST.AUG.MIN_SIZES})
 * @param maxSize limit of the long side, {@code >= 1} ({@code TEST.AUG.MAX_SIZE})
 * @param flip add a horizontally flipped copy of every size ({@code TEST.AUG.FLIP})
 * @param maxSizes the long-side limit of each size: all {@code maxSize} for detectron2; an mmdetection package's
 *     {@code img_scale} pairs {@code (maxSizes[i], minSizes[i])} may differ ({@code test_aug.max_sizes})
 */
public record TestAugSettings(boolean enabled, int[] minSizes, int maxSize, boolean flip, int[] maxSizes) {
    /**
     * detectron2's defaults ({@code detectron2/config/defaults.py}), used for packages whose manifest has no
     * {@code test_aug} (exported before it existed): disabled, short sides 400..1200 by 100, long side 4000, flip.
     */
    public static final TestAugSettings DETECTRON2_DEFAULTS = new TestAugSettings(false,
            new int[] {400, 500, 600, 700, 800, 900, 1000, 1100, 1200}, 4000, true);

    /** detectron2's: one long-side limit for every size. */
    public TestAugSettings(boolean enabled, int[] minSizes, int maxSize, boolean flip) {
        this(enabled, minSizes, maxSize, flip, filled(minSizes, maxSize));
    }

    private static int[] filled(int[] minSizes, int maxSize) {
        int[] out = new int[minSizes == null ? 0 : minSizes.length];
        Arrays.fill(out, maxSize);
        return out;
    }

    public TestAugSettings {
        if (minSizes == null || minSizes.length == 0) throw new IllegalArgumentException("minSizes must not be empty");
        if (maxSizes == null || maxSizes.length != minSizes.length) {
            throw new IllegalArgumentException("maxSizes must have one entry per min size");
        }
        maxSizes = maxSizes.clone();
        for (int i = 0; i < maxSizes.length; i++) {
            if (maxSizes[i] < 1) throw new IllegalArgumentException("maxSizes[" + i + "] must be >= 1, got " + maxSizes[i]);
        }
        minSizes = minSizes.clone();
        for (int i = 0; i < minSizes.length; i++) {
            if (minSizes[i] < 1) throw new IllegalArgumentException("minSizes[" + i + "] must be >= 1, got " + minSizes[i]);
        }
        if (maxSize < 1) throw new IllegalArgumentException("maxSize must be >= 1, got " + maxSize);
    }

    @Override
    public int[] minSizes() { return minSizes.clone(); }

    @Override
    public int[] maxSizes() { return maxSizes.clone(); }

    /** Augmented images per original image: {@code minSizes.length * (flip ? 2 : 1)}. */
    public int count() { return minSizes.length * (flip ? 2 : 1); }

    @Override
    public boolean equals(Object o) {
        return o instanceof TestAugSettings t && t.enabled == enabled && Arrays.equals(t.minSizes, minSizes)
                && t.maxSize == maxSize && t.flip == flip && Arrays.equals(t.maxSizes, maxSizes);
    }

    @Override
    public int hashCode() { return Arrays.hashCode(minSizes) * 31 + maxSize * 4 + (enabled ? 2 : 0) + (flip ? 1 : 0); }

    @Override
    public String toString() {
        return "TestAugSettings[enabled " + enabled + ", min sizes " + Arrays.toString(minSizes) + ", max sizes "
                + Arrays.toString(maxSizes) + ", flip " + flip + "]";
    }
}
