package dev.maskrt.ops;

import java.nio.FloatBuffer;

/**
 * The argument checks of {@link RoiAlign}, shared by every implementation so that each refuses the same
 * inputs with the same message before doing any work. Stateless.
 */
public final class RoiAlignChecks {
    private RoiAlignChecks() {}

    /**
     * Checks the arguments of {@link RoiAlign#roiAlign} and returns the number of RoIs.
     *
     * @throws IllegalArgumentException naming the first bad argument
     */
    public static int single(FeatureMap features, float[] rois, int[] batchIndex, int outputHeight,
            int outputWidth, int samplingRatio) {
        if (features == null) throw new IllegalArgumentException("features must not be null");
        return common(features.batch(), features.channels(), rois, batchIndex, outputHeight, outputWidth, samplingRatio);
    }

    /**
     * Checks the arguments of {@link RoiAlign#multiLevel} and returns the level number of {@code levels[0]}
     * ({@code -log2(spatialScale)}); level {@code i} is that plus {@code i}.
     *
     * @throws IllegalArgumentException naming the first bad argument
     */
    public static int multi(FeatureMap[] levels, float[] rois, int[] batchIndex, int outputHeight, int outputWidth,
            int samplingRatio, LevelMapping mapping) {
        if (levels == null || levels.length == 0) throw new IllegalArgumentException("levels must not be null or empty");
        if (mapping == null) throw new IllegalArgumentException("mapping must not be null");
        int first = 0;
        for (int i = 0; i < levels.length; i++) {
            FeatureMap f = levels[i];
            if (f == null) throw new IllegalArgumentException("levels[" + i + "] must not be null");
            if (f.batch() != levels[0].batch() || f.channels() != levels[0].channels()) {
                throw new IllegalArgumentException("levels[" + i + "]: batch x channels " + f.batch() + "x" + f.channels()
                        + " differs from levels[0]'s " + levels[0].batch() + "x" + levels[0].channels());
            }
            int level = pyramidLevel(i, f.spatialScale(), first);
            if (i == 0) first = level;
        }
        common(levels[0].batch(), levels[0].channels(), rois, batchIndex, outputHeight, outputWidth, samplingRatio);
        return first;
    }

    /**
     * Checks the destination of {@link RoiAlign#multiLevel(FeatureMap[], float[], int[], int, int, int, boolean,
     * LevelMapping, FloatBuffer)} and returns the number of values it receives.
     *
     * @throws IllegalArgumentException when {@code out} is null or has fewer values remaining than the result
     */
    public static int output(FloatBuffer out, int channels, int rois, int outputHeight, int outputWidth) {
        if (out == null) throw new IllegalArgumentException("out must not be null");
        long needed = (long) rois * channels * outputHeight * outputWidth;
        if (out.remaining() < needed) {
            throw new IllegalArgumentException("out: " + out.remaining() + " values remaining, the result of " + rois
                    + " RoIs x " + channels + " channels x " + outputHeight + "x" + outputWidth + " needs " + needed);
        }
        return (int) needed;
    }

    /**
     * The level number {@code -log2(spatialScale)} of pyramid level {@code i}, which must be {@code firstLevel + i}
     * for {@code i > 0} (levels consecutive, finest first); {@code firstLevel} is ignored for {@code i == 0}.
     *
     * @throws IllegalArgumentException naming {@code levels[i]} when the scale is not {@code 1 / 2^k}, {@code k >= 0},
     *                                  or the level does not follow the previous one
     */
    public static int pyramidLevel(int i, float spatialScale, int firstLevel) {
        double level = -Math.log(spatialScale) / Math.log(2);
        long rounded = Math.round(level);
        if (Math.abs(level - rounded) > 1e-6 || rounded < 0) {
            throw new IllegalArgumentException("levels[" + i + "]: spatialScale " + spatialScale
                    + " is not 1 / (a power of two >= 1)");
        }
        if (i > 0 && rounded != firstLevel + i) {
            throw new IllegalArgumentException("levels[" + i + "]: spatialScale " + spatialScale
                    + " is not half of levels[" + (i - 1) + "]'s; levels must be consecutive, finest first");
        }
        return (int) rounded;
    }

    private static int common(int batch, int channels, float[] rois, int[] batchIndex, int outputHeight,
            int outputWidth, int samplingRatio) {
        int n = Checks.boxCount("rois", rois);
        Checks.finite("rois", rois);
        Checks.length("batchIndex", batchIndex, n);
        for (int i = 0; i < n; i++) {
            if (batchIndex[i] < 0 || batchIndex[i] >= batch) {
                throw new IllegalArgumentException("batchIndex[" + i + "] = " + batchIndex[i]
                        + " is outside the feature batch [0, " + batch + ")");
            }
        }
        Checks.atLeast("outputHeight", outputHeight, 1);
        Checks.atLeast("outputWidth", outputWidth, 1);
        Checks.atLeast("samplingRatio", samplingRatio, 0);
        long size = (long) n * channels * outputHeight * outputWidth;
        if (size > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("rois: " + n + " RoIs x " + channels + " channels x " + outputHeight + "x"
                    + outputWidth + " bins do not fit in one float[]");
        }
        return n;
    }
}
