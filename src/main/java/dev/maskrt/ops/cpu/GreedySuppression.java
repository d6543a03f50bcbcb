package dev.maskrt.ops.cpu;

/**
 * The greedy core of NMS over boxes already in ranking order, exactly equivalent to torchvision's CPU loop:
 * a box is kept iff no kept higher-ranked box has {@code iou > threshold} with it.
 *
 * <p>Instead of suppressing forward from each kept box, each candidate is tested against the boxes kept
 * before it (the same set of pairs decides, and IoU is symmetric in torchvision's formula since {@code +} is
 * commutative). Candidates are processed in blocks: first every candidate of a block is tested against the
 * boxes kept before the block, in parallel (independent, one writer per candidate); then the block is resolved
 * in order against the boxes kept inside it. The outcome never depends on the thread count.
 *
 * <p>A box with {@code x1 <= x0}, {@code y1 <= y0} or zero area has zero intersection with every box, so with a
 * threshold {@code >= 0} it can neither suppress nor be suppressed: it is kept without any test.
 */
final class GreedySuppression {
    private static final int BLOCK = 256;
    private static final int CANDIDATE_GRAIN = 16;
    private static final long SERIAL_PAIRS = 1 << 15;

    private GreedySuppression() {}

    /**
     * @param boxes   all boxes, {@code float[4N]}, finite
     * @param ranked  box indices; {@code ranked[from..to)} are the candidates in ranking order
     * @param minIou  the smallest float IoU that suppresses (the first float above the double threshold)
     * @param kept    set to true at {@code kept[box index]} for every kept box
     */
    static void run(float[] boxes, int[] ranked, int from, int to, float minIou, Workers workers, boolean[] kept) {
        int n = to - from;
        if (n <= 0) return;
        float[] x0 = new float[n], y0 = new float[n], x1 = new float[n], y1 = new float[n], area = new float[n];
        boolean[] interacts = new boolean[n];
        for (int c = 0; c < n; c++) {
            int b = 4 * ranked[from + c];
            x0[c] = boxes[b];
            y0[c] = boxes[b + 1];
            x1[c] = boxes[b + 2];
            y1[c] = boxes[b + 3];
            area[c] = (x1[c] - x0[c]) * (y1[c] - y0[c]);
            interacts[c] = x1[c] > x0[c] && y1[c] > y0[c] && area[c] != 0f;
        }
        KeptBoxes k = new KeptBoxes(n);
        boolean[] suppressed = new boolean[n];
        for (int b0 = 0; b0 < n; b0 += BLOCK) {
            int b1 = Math.min(n, b0 + BLOCK);
            int keptBefore = k.size;
            if (keptBefore > 0) {
                final int start = b0;
                Workers.RangeBody againstEarlier = (f, t) -> {
                    for (int c = start + f; c < start + t; c++) {
                        if (interacts[c]) {
                            suppressed[c] = k.anySuppresses(x0[c], y0[c], x1[c], y1[c], area[c], 0, keptBefore, minIou);
                        }
                    }
                };
                if (workers == null || workers.threads() == 1 || (long) keptBefore * (b1 - b0) < SERIAL_PAIRS) {
                    againstEarlier.run(0, b1 - b0);
                } else {
                    workers.parallelFor(b1 - b0, CANDIDATE_GRAIN, againstEarlier);
                }
            }
            for (int c = b0; c < b1; c++) {
                if (!interacts[c]) {
                    kept[ranked[from + c]] = true;
                    continue;
                }
                if (suppressed[c] || k.anySuppresses(x0[c], y0[c], x1[c], y1[c], area[c], keptBefore, k.size, minIou)) {
                    continue;
                }
                kept[ranked[from + c]] = true;
                k.add(x0[c], y0[c], x1[c], y1[c], area[c]);
            }
        }
    }

    /** The kept boxes that can suppress, as contiguous coordinate arrays in the order they were kept. */
    private static final class KeptBoxes {
        final float[] x0, y0, x1, y1, area;
        int size;

        KeptBoxes(int capacity) {
            x0 = new float[capacity];
            y0 = new float[capacity];
            x1 = new float[capacity];
            y1 = new float[capacity];
            area = new float[capacity];
        }

        void add(float bx0, float by0, float bx1, float by1, float barea) {
            x0[size] = bx0;
            y0[size] = by0;
            x1[size] = bx1;
            y1[size] = by1;
            area[size] = barea;
            size++;
        }

        /** Whether any kept box {@code [from, to)} has float IoU {@code >= minIou} with the candidate. */
        boolean anySuppresses(float cx0, float cy0, float cx1, float cy1, float carea, int from, int to, float minIou) {
            for (int i = from; i < to; i++) {
                // operands are finite, so the sign of zero, where ?: and std::max differ, never matters here
                float w = (x1[i] < cx1 ? x1[i] : cx1) - (x0[i] > cx0 ? x0[i] : cx0);
                if (w <= 0f) continue;
                float h = (y1[i] < cy1 ? y1[i] : cy1) - (y0[i] > cy0 ? y0[i] : cy0);
                if (h <= 0f) continue;
                float inter = w * h;
                if (inter / (area[i] + carea - inter) >= minIou) return true;
            }
            return false;
        }
    }
}
