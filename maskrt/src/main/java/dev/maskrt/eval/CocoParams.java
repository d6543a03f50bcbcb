package dev.maskrt.eval;

import java.util.Arrays;

/**
 * The evaluation settings of pycocotools {@code Params} for bbox/segm: IoU thresholds {@code .50:.05:.95} and recall
 * thresholds {@code 0:.01:1}, both computed exactly as {@code np.linspace} does ({@code i * step + start}, the last
 * value set to the end point); area ranges all/small/medium/large = {@code [0, 1e5²], [0, 32²], [32², 96²],
 * [96², 1e5²]}; maxDets sorted ascending. Immutable.
 */
public final class CocoParams {
    static final double[] IOU_THRESHOLDS = linspace(0.5, 0.95, (int) Math.round((0.95 - 0.5) / 0.05) + 1);
    static final double[] RECALL_THRESHOLDS = linspace(0.0, 1.0, (int) Math.round((1.00 - 0.0) / 0.01) + 1);
    static final double[][] AREA_RANGES = {{0, 1e5 * 1e5}, {0, 32 * 32}, {32 * 32, 96 * 96}, {96 * 96, 1e5 * 1e5}};
    static final String[] AREA_LABELS = {"all", "small", "medium", "large"};
    /** The pycocotools default {@code [1, 10, 100]}. */
    public static final int[] DEFAULT_MAX_DETS = {1, 10, 100};

    private CocoParams() {}

    /** @return the 10 IoU thresholds, as numpy computes them */
    public static double[] iouThresholds() { return IOU_THRESHOLDS.clone(); }

    /** @return the 101 recall thresholds, as numpy computes them */
    public static double[] recallThresholds() { return RECALL_THRESHOLDS.clone(); }

    /** {@code np.linspace(start, stop, num)} with endpoint, bit for bit. */
    static double[] linspace(double start, double stop, int num) {
        double[] y = new double[num];
        int div = num - 1;
        double delta = stop - start;
        double step = delta / div;
        for (int i = 0; i < num; i++) {
            y[i] = step == 0 ? (i / (double) div) * delta + start : i * step + start;
        }
        if (num > 1) y[num - 1] = stop;
        return y;
    }

    /** Validates and sorts a maxDets list (pycocotools sorts it too). */
    static int[] maxDets(int[] maxDets) {
        if (maxDets == null || maxDets.length == 0) {
            throw new IllegalArgumentException("maxDets must hold at least one value");
        }
        int[] m = maxDets.clone();
        Arrays.sort(m);
        if (m[0] < 1) throw new IllegalArgumentException("maxDets values must be >= 1, got " + Arrays.toString(maxDets));
        return m;
    }
}
