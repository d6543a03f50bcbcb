package dev.maskrt.image;

/**
 * The fixed-point coefficients of one axis of PIL's BILINEAR resize ({@code precompute_coeffs} and
 * {@code normalize_coeffs_8bpc} in Pillow's {@code Resample.c}), computed once per (input size, output size).
 * Output index {@code o} reads the input indices {@code [start(o), start(o) + count(o))} with the weights
 * {@code weight(o, 0..count(o) - 1)}, integers scaled by {@code 2^PRECISION_BITS} that sum to about that.
 * Immutable and thread-safe.
 */
final class PilAxisFilter {
    /** PIL's fixed-point precision for 8-bit images: 32 - 8 - 2. */
    static final int PRECISION_BITS = 22;

    final int inSize, outSize, taps;
    final int[] start, count;
    /** {@code outSize * taps} weights, row {@code o} at {@code o * taps}. */
    final int[] weights;
    /**
     * The same filter with exactly {@code taps} taps per output, for loops of fixed length: output {@code o} reads
     * {@code [windowStart(o), windowStart(o) + taps)} with {@code windowWeights}, the window moved left at the right
     * edge and padded with zero weights (which add nothing to the integer sums). Null when {@code inSize < taps}.
     */
    final int[] windowStart, windowWeights;

    PilAxisFilter(int inSize, int outSize) {
        this.inSize = inSize;
        this.outSize = outSize;
        // Every step below is PIL's double arithmetic in the same order; the coefficients must round identically.
        double scale = (double) inSize / outSize;
        double filterScale = Math.max(scale, 1.0);
        double support = 1.0 * filterScale; // the triangle filter's support is 1
        this.taps = (int) Math.ceil(support) * 2 + 1;
        this.start = new int[outSize];
        this.count = new int[outSize];
        this.weights = new int[outSize * taps];
        double[] k = new double[taps];
        double ss = 1.0 / filterScale;
        for (int o = 0; o < outSize; o++) {
            double center = (o + 0.5) * scale;
            int xmin = Math.max((int) (center - support + 0.5), 0); // C's (int) truncates toward zero, as Java's does
            int xmax = Math.min((int) (center + support + 0.5), inSize) - xmin;
            double sum = 0.0;
            for (int x = 0; x < xmax; x++) {
                double w = triangle((x + xmin - center + 0.5) * ss);
                k[x] = w;
                sum += w;
            }
            for (int x = 0; x < xmax; x++) {
                double w = sum != 0.0 ? k[x] / sum : k[x];
                weights[o * taps + x] = w < 0 ? (int) (-0.5 + w * (1 << PRECISION_BITS))
                        : (int) (0.5 + w * (1 << PRECISION_BITS));
            }
            start[o] = xmin;
            count[o] = Math.max(xmax, 0);
        }
        if (inSize >= taps) {
            windowStart = new int[outSize];
            windowWeights = new int[outSize * taps];
            for (int o = 0; o < outSize; o++) {
                int ws = Math.min(start[o], inSize - taps), shift = start[o] - ws;
                windowStart[o] = ws;
                System.arraycopy(weights, o * taps, windowWeights, o * taps + shift, count[o]);
            }
        } else {
            windowStart = null;
            windowWeights = null;
        }
    }

    private static double triangle(double x) {
        if (x < 0.0) x = -x;
        return x < 1.0 ? 1.0 - x : 0.0;
    }

    /** PIL's {@code clip8}: a rounded fixed-point sum (already holding the half) to 0..255. */
    static int clip8(int sum) {
        if (sum >= (1 << PRECISION_BITS << 8)) return 255;
        if (sum <= 0) return 0;
        return sum >> PRECISION_BITS;
    }
}
