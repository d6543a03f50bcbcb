package dev.maskrt.ops.cpu;

import dev.maskrt.util.Workers;

import java.util.Arrays;

/**
 * The greedy core of NMS over boxes already in ranking order, exactly equivalent to torchvision's CPU loop:
 * a box is kept iff no kept higher-ranked box has {@code iou > threshold} with it.
 *
 * <p>Instead of suppressing forward from each kept box, each candidate is tested against the boxes kept
 * before it (the same pairs decide, and torchvision's IoU formula is symmetric since {@code +} commutes).
 * Candidates are processed in blocks: first every candidate of a block is tested against the boxes kept
 * before the block, in parallel (independent, one writer per candidate); then the block is resolved in order
 * against the boxes kept inside it. The outcome never depends on the thread count or on the order in which
 * kept boxes are tested, since a candidate falls as soon as any kept box suppresses it.
 *
 * <p>Two exact prunings skip pairs that cannot suppress:
 * <ul>
 *   <li>A box with {@code x1 <= x0}, {@code y1 <= y0}, or a zero or infinite area has zero intersection with
 *       every box (or an infinite union), so for a threshold {@code >= 0} it neither suppresses nor is
 *       suppressed: it is kept without any test.</li>
 *   <li>For the others, the float IoU is at most {@code min(area) / max(area)} up to a relative rounding error
 *       below {@code 5·2⁻²⁴} (the float intersection never exceeds either float area, because rounding is
 *       monotonic, and the union never falls below the larger area). Kept boxes are therefore binned by area
 *       ({@link AreaBins}), and a candidate of area {@code a} only scans bins that may hold areas in
 *       {@code [a·t', a/t']} with {@code t' = minIou·(1 - 10⁻⁶)}, widened by one bin each side. Within a
 *       bin, boxes are sorted by {@code x0}, and only those that can overlap the candidate in x are tested.</li>
 * </ul>
 */
final class GreedySuppression {
    private static final int BLOCK = 64;
    private static final int CANDIDATE_GRAIN = 8;
    private static final long SERIAL_WORK = 1 << 16;

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
            interacts[c] = x1[c] > x0[c] && y1[c] > y0[c] && area[c] > 0f && area[c] != Float.POSITIVE_INFINITY;
        }
        AreaBins earlier = new AreaBins(minIou);
        BoxList inBlock = new BoxList(BLOCK);
        boolean[] suppressed = new boolean[n];
        for (int b0 = 0; b0 < n; b0 += BLOCK) {
            int b1 = Math.min(n, b0 + BLOCK);
            if (earlier.size() > 0) {
                final int start = b0;
                Workers.RangeBody againstEarlier = (f, t) -> {
                    for (int c = start + f; c < start + t; c++) {
                        if (interacts[c]) suppressed[c] = earlier.anySuppresses(x0[c], y0[c], x1[c], y1[c], area[c]);
                    }
                };
                if (workers == null || workers.threads() == 1 || (long) earlier.size() * (b1 - b0) < SERIAL_WORK) {
                    againstEarlier.run(0, b1 - b0);
                } else {
                    workers.parallelFor(b1 - b0, CANDIDATE_GRAIN, againstEarlier);
                }
            }
            inBlock.clear();
            for (int c = b0; c < b1; c++) {
                if (!interacts[c]) {
                    kept[ranked[from + c]] = true;
                } else if (!suppressed[c] && !inBlock.anySuppresses(x0[c], y0[c], x1[c], y1[c], area[c], minIou)) {
                    kept[ranked[from + c]] = true;
                    inBlock.add(x0[c], y0[c], x1[c], y1[c], area[c]);
                }
            }
            earlier.addAll(inBlock);
        }
    }

    /** Kept boxes grouped by area, so that a candidate only meets kept boxes of comparable area. */
    static final class AreaBins {
        /** Areas below this skip the area pruning: their rounding errors are not relative any more. */
        private static final float TINY_AREA = 1e-30f;
        /** Below this threshold the area window covers (nearly) everything; scan all bins. */
        private static final float MIN_PRUNING_IOU = 1e-3f;
        private static final int BIN_COUNT = (Float.floatToIntBits(Float.POSITIVE_INFINITY) >>> 21) + 1;

        private final float minIou;
        private final double windowRatio;
        private final boolean prune;
        private final BoxList[] bins = new BoxList[BIN_COUNT];
        private final BoxList tiny = new BoxList(16);
        private int lowestBin = BIN_COUNT, highestBin = -1, size;

        AreaBins(float minIou) {
            this.minIou = minIou;
            this.prune = minIou >= MIN_PRUNING_IOU;
            this.windowRatio = minIou * (1 - 1e-6);
        }

        /** Monotonic in the area: the float's exponent and its two leading mantissa bits (bins at most 2^¼ wide). */
        private static int binOf(float positiveArea) {
            return Float.floatToIntBits(positiveArea) >>> 21;
        }

        int size() {
            return size;
        }

        void addAll(BoxList boxes) {
            for (int i = 0; i < boxes.size; i++) {
                float a = boxes.area[i];
                BoxList target;
                if (a < TINY_AREA) {
                    target = tiny;
                } else {
                    int bin = binOf(a);
                    if (bins[bin] == null) bins[bin] = new BoxList(16);
                    target = bins[bin];
                    lowestBin = Math.min(lowestBin, bin);
                    highestBin = Math.max(highestBin, bin);
                }
                target.insertByX0(boxes.x0[i], boxes.y0[i], boxes.x1[i], boxes.y1[i], a);
                size++;
            }
        }

        /** Read-only: safe to call from many threads while no box is added. */
        boolean anySuppresses(float cx0, float cy0, float cx1, float cy1, float carea) {
            if (tiny.size > 0 && tiny.anySuppressesSorted(cx0, cy0, cx1, cy1, carea, minIou)) return true;
            int from = lowestBin, to = highestBin;
            if (prune && carea >= TINY_AREA) {
                // bins are monotonic in the area, so the one-bin widening covers the rounding of the window ends
                from = Math.max(from, binOf((float) (carea * windowRatio)) - 1);
                to = Math.min(to, binOf((float) Math.min(carea / windowRatio, Float.MAX_VALUE)) + 1);
            }
            for (int bin = from; bin <= to; bin++) {
                BoxList list = bins[bin];
                if (list != null && list.anySuppressesSorted(cx0, cy0, cx1, cy1, carea, minIou)) return true;
            }
            return false;
        }
    }

    /**
     * A growable list of boxes as contiguous coordinate arrays. Filled either by {@link #add} (kept order) or by
     * {@link #insertByX0} (ascending {@code x0}, which {@link #anySuppressesSorted} exploits).
     */
    static final class BoxList {
        float[] x0, y0, x1, y1, area;
        int size;
        /** The largest {@code (double) x1 - x0} inserted by {@link #insertByX0}. */
        private double maxWidth;

        BoxList(int capacity) {
            x0 = new float[capacity];
            y0 = new float[capacity];
            x1 = new float[capacity];
            y1 = new float[capacity];
            area = new float[capacity];
        }

        void clear() {
            size = 0;
            maxWidth = 0;
        }

        private void grow() {
            int capacity = 2 * x0.length;
            x0 = Arrays.copyOf(x0, capacity);
            y0 = Arrays.copyOf(y0, capacity);
            x1 = Arrays.copyOf(x1, capacity);
            y1 = Arrays.copyOf(y1, capacity);
            area = Arrays.copyOf(area, capacity);
        }

        /** Inserts keeping ascending {@code x0} (equal {@code x0} in insertion order). */
        void insertByX0(float bx0, float by0, float bx1, float by1, float barea) {
            if (size == x0.length) grow();
            int lo = 0, hi = size;
            while (lo < hi) {
                int mid = (lo + hi) >>> 1;
                if (x0[mid] <= bx0) lo = mid + 1;
                else hi = mid;
            }
            int tail = size - lo;
            System.arraycopy(x0, lo, x0, lo + 1, tail);
            System.arraycopy(y0, lo, y0, lo + 1, tail);
            System.arraycopy(x1, lo, x1, lo + 1, tail);
            System.arraycopy(y1, lo, y1, lo + 1, tail);
            System.arraycopy(area, lo, area, lo + 1, tail);
            x0[lo] = bx0;
            y0[lo] = by0;
            x1[lo] = bx1;
            y1[lo] = by1;
            area[lo] = barea;
            size++;
            maxWidth = Math.max(maxWidth, (double) bx1 - bx0);
        }

        /**
         * {@link #anySuppresses} for a list filled by {@link #insertByX0}: only boxes that can overlap in x are
         * tested. A box overlaps only if {@code x0 < cx1} (exact float comparison) and {@code x1 > cx0}; since
         * {@code x1 <= x0 + maxWidth}, boxes with {@code x0} below {@code cx0 - maxWidth} (less a margin far
         * above double rounding) cannot.
         */
        boolean anySuppressesSorted(float cx0, float cy0, float cx1, float cy1, float carea, float minIou) {
            double low = (cx0 - maxWidth) - 1e-9 * (Math.abs((double) cx0) + maxWidth);
            int lo = 0, hi = size;
            while (lo < hi) {
                int mid = (lo + hi) >>> 1;
                if (x0[mid] < low) lo = mid + 1;
                else hi = mid;
            }
            float[] bx0 = x0, by0 = y0, bx1 = x1, by1 = y1, ba = area;
            for (int i = lo, n = size; i < n && bx0[i] < cx1; i++) {
                if (iou(bx0[i], by0[i], bx1[i], by1[i], ba[i], cx0, cy0, cx1, cy1, carea) >= minIou) return true;
            }
            return false;
        }

        void add(float bx0, float by0, float bx1, float by1, float barea) {
            if (size == x0.length) grow();
            x0[size] = bx0;
            y0[size] = by0;
            x1[size] = bx1;
            y1[size] = by1;
            area[size] = barea;
            size++;
        }

        /** Whether any box of this list has float IoU {@code >= minIou} with the candidate (torchvision's formula). */
        boolean anySuppresses(float cx0, float cy0, float cx1, float cy1, float carea, float minIou) {
            float[] bx0 = x0, by0 = y0, bx1 = x1, by1 = y1, ba = area;
            for (int i = 0, n = size; i < n; i++) {
                if (iou(bx0[i], by0[i], bx1[i], by1[i], ba[i], cx0, cy0, cx1, cy1, carea) >= minIou) return true;
            }
            return false;
        }

        /**
         * torchvision's float IoU of kept box {@code b} and candidate {@code c}, both with a positive finite area.
         * Branch-free: without overlap the intersection is 0 and so is the IoU. Operands are finite, so the sign
         * of zero, where {@code Math.min/max} and {@code std::min/max} differ, cannot change the outcome.
         */
        private static float iou(float bx0, float by0, float bx1, float by1, float barea,
                                 float cx0, float cy0, float cx1, float cy1, float carea) {
            float w = Math.max(0f, Math.min(bx1, cx1) - Math.max(bx0, cx0));
            float h = Math.max(0f, Math.min(by1, cy1) - Math.max(by0, cy0));
            float inter = w * h;
            return inter / (barea + carea - inter);
        }
    }
}
