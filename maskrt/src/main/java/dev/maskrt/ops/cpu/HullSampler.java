package dev.maskrt.ops.cpu;

/**
 * Bilinearly samples one mask at the pixels of its paste hull, one hull row at a time, with exactly torch 1.13's
 * CPU {@code grid_sample} arithmetic: corner weights {@code nw = s*e, ne = s*w, sw = n*e, se = n*w} and the value
 * {@code fma(se_v, se, fma(sw_v, sw, fma(ne_v, ne, nw_v * nw)))} (the fused form its AVX2 kernel computes).
 *
 * <p>The four corner values of a row depend only on the pair of mask rows it falls between, so they are gathered
 * once per pair and reused by every hull row in that pair; the per-pixel loop then reads contiguous arrays.
 *
 * <p>Not thread-safe; one sampler per instance and task.
 */
final class HullSampler {
    private final float[] padded;
    private final int paddedWidth;
    private final PasteAxis rows;
    private final PasteAxis cols;
    private final float[] topLeft;
    private final float[] topRight;
    private final float[] bottomLeft;
    private final float[] bottomRight;
    private int cachedTop = -1;
    private int cachedBottom = -1;

    /**
     * @param masks all masks, {@code [N, maskHeight, maskWidth]}
     * @param maskOffset index of this mask's first value in {@code masks}
     */
    HullSampler(float[] masks, int maskOffset, int maskHeight, int maskWidth, PasteAxis rows, PasteAxis cols) {
        this.paddedWidth = maskWidth + 2;
        this.padded = new float[(maskHeight + 2) * paddedWidth];
        for (int r = 0; r < maskHeight; r++) {
            System.arraycopy(masks, maskOffset + r * maskWidth, padded, (r + 1) * paddedWidth + 1, maskWidth);
        }
        this.rows = rows;
        this.cols = cols;
        int width = cols.low.length;
        topLeft = new float[width];
        topRight = new float[width];
        bottomLeft = new float[width];
        bottomRight = new float[width];
    }

    /** Writes the probabilities of hull row {@code row} into {@code dst[0, hullWidth)}. */
    void sampleRow(int row, float[] dst) {
        int top = rows.low[row];
        int bottom = rows.high[row];
        if (top != cachedTop || bottom != cachedBottom) {
            gatherCorners(top, bottom);
        }
        float s = rows.lowWeight[row];
        float n = rows.highWeight[row];
        float[] e = cols.lowWeight;
        float[] w = cols.highWeight;
        float[] a = topLeft, b = topRight, c = bottomLeft, d = bottomRight;
        int width = e.length;
        for (int i = 0; i < width; i++) {
            float we = e[i];
            float ww = w[i];
            dst[i] = Math.fma(d[i], n * ww, Math.fma(c[i], n * we, Math.fma(b[i], s * ww, a[i] * (s * we))));
        }
    }

    private void gatherCorners(int top, int bottom) {
        int topBase = top * paddedWidth;
        int bottomBase = bottom * paddedWidth;
        int[] left = cols.low;
        int[] right = cols.high;
        for (int i = 0; i < left.length; i++) {
            int l = left[i], r = right[i];
            topLeft[i] = padded[topBase + l];
            topRight[i] = padded[topBase + r];
            bottomLeft[i] = padded[bottomBase + l];
            bottomRight[i] = padded[bottomBase + r];
        }
        cachedTop = top;
        cachedBottom = bottom;
    }
}
