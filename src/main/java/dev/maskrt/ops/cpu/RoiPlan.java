package dev.maskrt.ops.cpu;

/**
 * Everything RoIAlign needs to pool one RoI, computed once and reused for every channel: the feature level and
 * image, the per-bin row and column taps ({@link AxisSamples}) and the sample count of a bin. Immutable.
 */
final class RoiPlan {
    final int level;
    final int batch;
    final AxisSamples rows;
    final AxisSamples cols;
    /** Samples per bin, {@code max(gridH * gridW, 1)}: the divisor of the average. */
    final float count;

    private RoiPlan(int level, int batch, AxisSamples rows, AxisSamples cols, float count) {
        this.level = level;
        this.batch = batch;
        this.rows = rows;
        this.cols = cols;
        this.count = count;
    }

    /**
     * The plan of one RoI on a map of {@code height x width} at {@code spatialScale}, or null when none of its
     * samples is inside the map (its output is all zeros). Geometry as torchvision's {@code roi_align} kernel,
     * in the same float operations.
     */
    static RoiPlan of(int level, int batch, float x0, float y0, float x1, float y1, float spatialScale, int height,
            int width, int outputHeight, int outputWidth, int samplingRatio, boolean aligned) {
        float offset = aligned ? 0.5f : 0f;
        float startW = x0 * spatialScale - offset;
        float startH = y0 * spatialScale - offset;
        float endW = x1 * spatialScale - offset;
        float endH = y1 * spatialScale - offset;
        float roiWidth = endW - startW;
        float roiHeight = endH - startH;
        if (!aligned) {
            roiWidth = Math.max(roiWidth, 1f); // the original RoIAlign stretches malformed RoIs to 1x1
            roiHeight = Math.max(roiHeight, 1f);
        }
        float binH = roiHeight / outputHeight;
        float binW = roiWidth / outputWidth;
        int gridH = samplingRatio > 0 ? samplingRatio : (int) Math.ceil(roiHeight / outputHeight);
        int gridW = samplingRatio > 0 ? samplingRatio : (int) Math.ceil(roiWidth / outputWidth);
        float count = Math.max(gridH * gridW, 1);
        AxisSamples rows = AxisSamples.of(startH, binH, gridH, outputHeight, height);
        if (rows.isEmpty()) return null;
        AxisSamples cols = AxisSamples.of(startW, binW, gridW, outputWidth, width);
        if (cols.isEmpty()) return null;
        return new RoiPlan(level, batch, rows, cols, count);
    }

    /** Floats of scratch that {@link #pool} needs: the RoI's column span. */
    int scratchSize() {
        return cols.max - cols.min + 1;
    }

    /**
     * Pools one channel: {@code plane} holds the channel's {@code height x width} map at {@code planeOffset};
     * the {@code outputHeight x outputWidth} bins go to {@code out} at {@code outOffset}. First each output row's
     * taps are summed down the map rows over the RoI's column span (contiguous, vectorisable), then each bin's
     * column taps across that.
     */
    void pool(float[] plane, int planeOffset, int width, float[] scratch, float[] out, int outOffset) {
        int outputHeight = rows.start.length - 1;
        int outputWidth = cols.start.length - 1;
        int colMin = cols.min;
        int span = cols.max - colMin + 1;
        int[] rowStart = rows.start;
        int[] rowIndex = rows.index;
        float[] rowWeight = rows.weight;
        int[] colStart = cols.start;
        int[] colIndex = cols.index;
        float[] colWeight = cols.weight;
        for (int ph = 0; ph < outputHeight; ph++) {
            int k0 = rowStart[ph];
            int k1 = rowStart[ph + 1];
            if (k0 == k1) {
                continue; // no sample of this output row is inside the map: its bins stay 0
            }
            int base = planeOffset + rowIndex[k0] * width + colMin;
            float w = rowWeight[k0];
            for (int j = 0; j < span; j++) {
                scratch[j] = w * plane[base + j];
            }
            for (int k = k0 + 1; k < k1; k++) {
                base = planeOffset + rowIndex[k] * width + colMin;
                w = rowWeight[k];
                for (int j = 0; j < span; j++) {
                    scratch[j] += w * plane[base + j];
                }
            }
            int vShift = -colMin;
            int o = outOffset + ph * outputWidth;
            for (int pw = 0; pw < outputWidth; pw++) {
                float s = 0f;
                for (int k = colStart[pw], e = colStart[pw + 1]; k < e; k++) {
                    s += colWeight[k] * scratch[vShift + colIndex[k]];
                }
                out[o + pw] = s / count;
            }
        }
    }
}
