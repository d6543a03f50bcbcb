package dev.maskrt.ops.cpu;

/**
 * Where each pixel of one axis of a paste hull samples its mask, computed once per instance and axis: the two
 * neighbouring mask cells (as indices into a mask padded by one zero cell on each side) and their bilinear
 * weights. Bit-exact with torch 1.13's vectorised CPU {@code grid_sample} (bilinear, zeros padding,
 * {@code align_corners=False}), including its fused multiply-add in the unnormalisation.
 *
 * <p>Not thread-safe; each instance belongs to one paste task.
 */
final class PasteAxis {
    /** Padded index of the lower neighbour ({@code floor(src) + 1}, clamped to the zero border). */
    final int[] low;
    /** Padded index of the upper neighbour ({@code floor(src) + 2}, clamped to the zero border). */
    final int[] high;
    /** Weight of the lower neighbour: {@code 1 - frac(src)}. */
    final float[] lowWeight;
    /** Weight of the upper neighbour: {@code frac(src)}. */
    final float[] highWeight;

    private PasteAxis(int length) {
        low = new int[length];
        high = new int[length];
        lowWeight = new float[length];
        highWeight = new float[length];
    }

    /**
     * @param hullStart first pixel of the hull on this axis
     * @param length pixels of the hull on this axis
     * @param boxStart box start coordinate ({@code x0} or {@code y0}), pixels
     * @param boxEnd box end coordinate ({@code x1} or {@code y1}), pixels; {@code > boxStart}
     * @param maskSize mask cells on this axis
     */
    static PasteAxis compute(int hullStart, int length, float boxStart, float boxEnd, int maskSize) {
        PasteAxis axis = new PasteAxis(length);
        float extent = boxEnd - boxStart;
        float halfSize = maskSize / 2f;
        for (int i = 0; i < length; i++) {
            float centre = (hullStart + i) + 0.5f;
            // detectron2: ((centre - x0) / (x1 - x0)) * 2 - 1, each step rounded to float32
            float normalised = ((centre - boxStart) / extent) * 2f - 1f;
            // grid_sample unnormalisation, align_corners=False: (g + 1) * size / 2 - 0.5; torch's AVX2 kernel
            // evaluates it as one fused multiply-add, which decides borderline pixels
            float source = Math.fma(normalised + 1f, halfSize, -0.5f);
            float floor = (float) Math.floor(source);
            float frac = source - floor;
            axis.highWeight[i] = frac;
            axis.lowWeight[i] = 1f - frac;
            // Out-of-mask neighbours read the zero border; non-finite sources get NaN weights, hence unset pixels,
            // as in torch.
            int cell = Float.isFinite(floor) ? (int) Math.max(-2f, Math.min(floor, maskSize + 1f)) : 0;
            axis.low[i] = clampToPadded(cell, maskSize);
            axis.high[i] = clampToPadded(cell + 1, maskSize);
        }
        return axis;
    }

    private static int clampToPadded(int cell, int maskSize) {
        return Math.max(-1, Math.min(cell, maskSize)) + 1;
    }
}
