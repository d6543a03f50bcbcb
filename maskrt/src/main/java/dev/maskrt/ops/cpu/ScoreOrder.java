package dev.maskrt.ops.cpu;

import java.util.Arrays;

/**
 * The ranking every maskrt op shares: descending score, ties by ascending index, {@code -0 == +0}, NaN above
 * +infinity. Each (score, index) pair maps to one {@code long} key whose ascending order is that ranking.
 */
final class ScoreOrder {
    private ScoreOrder() {}

    /** The ranking key of {@code score} at {@code index >= 0}; smaller keys rank first. */
    static long key(float score, int index) {
        int bits = Float.floatToIntBits(score + 0.0f); // +0.0f turns -0 into +0; floatToIntBits folds NaNs into one
        int monotonic = bits >= 0 ? bits : bits ^ 0x7fffffff; // int order == float order
        return ((long) ~monotonic << 32) | index;
    }

    static int index(long key) {
        return (int) key;
    }

    /** All indices of {@code scores} in ranking order. */
    static int[] rank(float[] scores) {
        long[] keys = new long[scores.length];
        for (int i = 0; i < scores.length; i++) keys[i] = key(scores[i], i);
        Arrays.sort(keys);
        int[] order = new int[keys.length];
        for (int i = 0; i < keys.length; i++) order[i] = index(keys[i]);
        return order;
    }

    /** The first {@code min(k, n)} indices in ranking order, in O(n log k) with a bounded max-heap of keys. */
    static int[] top(float[] scores, int k) {
        int n = scores.length;
        int m = Math.min(k, n);
        if (m == 0) return new int[0];
        if ((long) m * 4 >= n) {
            return Arrays.copyOf(rank(scores), m);
        }
        long[] heap = new long[m]; // max-heap: heap[0] is the worst key kept so far
        for (int i = 0; i < m; i++) heap[i] = key(scores[i], i);
        for (int i = m / 2 - 1; i >= 0; i--) siftDown(heap, i, m);
        for (int i = m; i < n; i++) {
            long key = key(scores[i], i);
            if (key < heap[0]) {
                heap[0] = key;
                siftDown(heap, 0, m);
            }
        }
        Arrays.sort(heap);
        int[] out = new int[m];
        for (int i = 0; i < m; i++) out[i] = index(heap[i]);
        return out;
    }

    private static void siftDown(long[] heap, int i, int size) {
        long v = heap[i];
        while (true) {
            int c = 2 * i + 1;
            if (c >= size) break;
            if (c + 1 < size && heap[c + 1] > heap[c]) c++;
            if (heap[c] <= v) break;
            heap[i] = heap[c];
            i = c;
        }
        heap[i] = v;
    }
}
