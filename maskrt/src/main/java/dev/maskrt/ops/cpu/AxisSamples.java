package dev.maskrt.ops.cpu;

import java.util.Arrays;

/**
 * The bilinear taps of RoIAlign along one axis of one RoI, merged per output bin.
 *
 * <p>A RoIAlign sample at {@code (y, x)} weighs up to four pixels by {@code wy(row) * wx(col)}, and it is
 * dropped when either coordinate is out of range, so the weights of a whole bin factor into a row part times a
 * column part. For each bin {@code p} this holds the distinct pixel indices its samples touch along the axis,
 * with the summed interpolation weights: entries {@code [start[p], start[p + 1])} of {@code index} / {@code
 * weight}, indices ascending. Entries of zero weight are left out. Immutable once built.
 */
final class AxisSamples {
    final int[] start;
    final int[] index;
    final float[] weight;
    /** Smallest and largest index over all bins; {@code min > max} when no sample of any bin is in range. */
    final int min;
    final int max;
    /**
     * The same weights dense per bin: bin {@code p} covers indices {@code first[p] + j} for
     * {@code j < denseStart[p + 1] - denseStart[p]}, weight {@code dense[denseStart[p] + j]} (zero in gaps).
     */
    final int[] first;
    final int[] denseStart;
    final float[] dense;
    /**
     * The same weights again with one length {@code taps} for every bin (the longest dense run; shorter runs
     * padded with zero weights, windows moved left where needed to stay within {@code [min, max]}): bin
     * {@code p} covers indices {@code tapFirst[p] + j}, weight {@code tapWeight[p * taps + j]}, {@code j < taps}.
     */
    final int taps;
    final int[] tapFirst;
    final float[] tapWeight;

    private AxisSamples(int[] start, int[] index, float[] weight, int min, int max) {
        this.start = start;
        this.index = index;
        this.weight = weight;
        this.min = min;
        this.max = max;
        int bins = start.length - 1;
        first = new int[bins];
        denseStart = new int[bins + 1];
        for (int p = 0; p < bins; p++) {
            int k0 = start[p], k1 = start[p + 1];
            first[p] = k0 < k1 ? index[k0] : 0;
            denseStart[p + 1] = denseStart[p] + (k0 < k1 ? index[k1 - 1] - index[k0] + 1 : 0);
        }
        dense = new float[denseStart[bins]];
        int longest = 0;
        for (int p = 0; p < bins; p++) {
            longest = Math.max(longest, denseStart[p + 1] - denseStart[p]);
            for (int k = start[p]; k < start[p + 1]; k++) {
                dense[denseStart[p] + index[k] - first[p]] = weight[k];
            }
        }
        taps = longest;
        tapFirst = new int[bins];
        tapWeight = new float[bins * taps];
        for (int p = 0; p < bins; p++) {
            int from = Math.max(min, Math.min(first[p], max - taps + 1));
            tapFirst[p] = from;
            for (int k = start[p]; k < start[p + 1]; k++) {
                tapWeight[p * taps + index[k] - from] = weight[k];
            }
        }
    }

    boolean isEmpty() {
        return min > max;
    }

    /**
     * The samples of {@code bins} bins of {@code binSize} feature pixels starting at {@code roiStart}, with
     * {@code grid} samples per bin, on an axis of {@code size} pixels. Sample positions and the rules at the
     * borders are torchvision's ({@code roi_align_common.h}), computed in the same float operations.
     */
    static AxisSamples of(float roiStart, float binSize, int grid, int bins, int size) {
        int[] start = new int[bins + 1];
        int capacity = (int) Math.min((long) bins * Math.min(2L * Math.max(grid, 0), size), Integer.MAX_VALUE - 8);
        int[] index = new int[capacity];
        float[] weight = new float[capacity];
        double[] sum = new double[size];
        int n = 0;
        int min = Integer.MAX_VALUE;
        int max = Integer.MIN_VALUE;
        for (int p = 0; p < bins; p++) {
            int lo = Integer.MAX_VALUE;
            int hi = -1;
            for (int i = 0; i < grid; i++) {
                float c = roiStart + p * binSize + (i + .5f) * binSize / grid;
                if (!(c >= -1.0f && c <= size)) {
                    continue; // beyond the border: this sample contributes 0
                }
                if (c <= 0) {
                    c = 0;
                }
                int low = (int) c;
                int high;
                if (low >= size - 1) {
                    high = low = size - 1;
                    c = low;
                } else {
                    high = low + 1;
                }
                float frac = c - low;
                float rest = (float) (1. - frac); // torchvision computes "1. - ly" in double, stores float
                sum[low] += rest;
                sum[high] += frac;
                lo = Math.min(lo, low);
                hi = Math.max(hi, high);
            }
            for (int j = lo; j <= hi; j++) {
                if (sum[j] != 0) {
                    index[n] = j;
                    weight[n] = (float) sum[j];
                    n++;
                    min = Math.min(min, j);
                    max = Math.max(max, j);
                    sum[j] = 0;
                }
            }
            start[p + 1] = n;
        }
        return new AxisSamples(start, Arrays.copyOf(index, n), Arrays.copyOf(weight, n), min, max);
    }
}
