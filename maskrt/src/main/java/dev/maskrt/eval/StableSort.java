package dev.maskrt.eval;

/** numpy's {@code argsort(-score, kind='mergesort')}: a stable sort of indices by descending score. */
final class StableSort {
    private StableSort() {}

    /** Returns {@code items} reordered by descending {@code score[item]}, ties keeping their order. */
    static int[] byDescendingScore(int[] items, double[] score) {
        int n = items.length;
        int[] a = items.clone();
        if (n < 2) return a;
        int[] tmp = new int[n];
        // bottom-up merge sort; insertion sort on small runs first
        final int run = 16;
        for (int lo = 0; lo < n; lo += run) {
            int hi = Math.min(lo + run, n);
            for (int i = lo + 1; i < hi; i++) {
                int x = a[i];
                double s = score[x];
                int j = i - 1;
                while (j >= lo && score[a[j]] < s) {
                    a[j + 1] = a[j];
                    j--;
                }
                a[j + 1] = x;
            }
        }
        for (int width = run; width < n; width *= 2) {
            for (int lo = 0; lo < n - width; lo += 2 * width) {
                int mid = lo + width, hi = Math.min(lo + 2 * width, n);
                if (!(score[a[mid]] > score[a[mid - 1]])) continue; // already in order
                int i = lo, j = mid, k = lo;
                while (i < mid && j < hi) tmp[k++] = score[a[j]] > score[a[i]] ? a[j++] : a[i++];
                while (i < mid) tmp[k++] = a[i++];
                while (j < hi) tmp[k++] = a[j++];
                System.arraycopy(tmp, lo, a, lo, hi - lo);
            }
        }
        return a;
    }
}
