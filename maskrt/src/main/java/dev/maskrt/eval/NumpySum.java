package dev.maskrt.eval;

/** numpy's pairwise summation of a contiguous float64 array (what {@code np.mean} uses), bit for bit. */
final class NumpySum {
    private NumpySum() {}

    private static final int BLOCK = 128;

    static double pairwise(double[] a, int n) {
        return 0.0 + sum(a, 0, n);
    }

    private static double sum(double[] a, int off, int n) {
        if (n < 8) {
            double res = 0.;
            for (int i = 0; i < n; i++) res += a[off + i];
            return res;
        }
        if (n <= BLOCK) {
            double r0 = a[off], r1 = a[off + 1], r2 = a[off + 2], r3 = a[off + 3];
            double r4 = a[off + 4], r5 = a[off + 5], r6 = a[off + 6], r7 = a[off + 7];
            int i;
            for (i = 8; i < n - (n % 8); i += 8) {
                r0 += a[off + i];
                r1 += a[off + i + 1];
                r2 += a[off + i + 2];
                r3 += a[off + i + 3];
                r4 += a[off + i + 4];
                r5 += a[off + i + 5];
                r6 += a[off + i + 6];
                r7 += a[off + i + 7];
            }
            double res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7));
            for (; i < n; i++) res += a[off + i];
            return res;
        }
        int n2 = n / 2;
        n2 -= n2 % 8;
        return sum(a, off, n2) + sum(a, off + n2, n - n2);
    }
}
