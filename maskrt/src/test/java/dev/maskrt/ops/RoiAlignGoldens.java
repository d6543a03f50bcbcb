package dev.maskrt.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import dev.maskrt.util.Npy;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Reading the RoIAlign goldens of tools/reference/make_roi_align_goldens.py, shared by the CPU op's own tests and
 * the cross-implementation suite.
 */
public final class RoiAlignGoldens {
    /** Relative and absolute tolerance against torch: summation order decides the last bits. */
    public static final float TOLERANCE = 1e-5f;

    private RoiAlignGoldens() {}

    /** An NCHW array of the archive as a feature map at {@code scale}. */
    public static FeatureMap map(Npy.Array a, float scale) {
        int[] s = a.shape();
        return new FeatureMap(a.asFloats(), s[0], s[1], s[2], s[3], scale);
    }

    /** The archive's p2..p5 (strides 4..32). */
    public static FeatureMap[] pyramid(Map<String, Npy.Array> g) {
        return new FeatureMap[] {map(g.get("p2"), 0.25f), map(g.get("p3"), 0.125f), map(g.get("p4"), 0.0625f),
            map(g.get("p5"), 0.03125f)};
    }

    /** Case names "&lt;name&gt;_out" with a "&lt;name&gt;_params" = [outH, outW, sampling, aligned], sorted. */
    public static List<String> cases(Map<String, Npy.Array> g, String prefix) {
        List<String> names = new ArrayList<>();
        for (String k : new TreeSet<>(g.keySet())) {
            if (k.startsWith(prefix) && k.endsWith("_params")) names.add(k.substring(0, k.length() - "_params".length()));
        }
        return names;
    }

    /** RoIs with their batch indices. */
    public record Rois(float[] boxes, int[] batchIndex) {}

    /** The archive's RoIs reordered by {@code tv_order}: torchvision's MultiScaleRoIAlign takes boxes per image. */
    public static Rois sortedByImage(Map<String, Npy.Array> g) {
        int[] order = g.get("tv_order").asInts();
        float[] all = g.get("rois").asFloats();
        int[] allBatch = g.get("batch_index").asInts();
        float[] rois = new float[all.length];
        int[] batch = new int[allBatch.length];
        for (int j = 0; j < order.length; j++) {
            System.arraycopy(all, 4 * order[j], rois, 4 * j, 4);
            batch[j] = allBatch[order[j]];
        }
        return new Rois(rois, batch);
    }

    /** Every element within {@code tol + tol * |expected|}. */
    public static void assertClose(float[] expected, float[] actual, float tol, String what) {
        assertEquals(expected.length, actual.length, what + ": length");
        for (int i = 0; i < expected.length; i++) {
            float e = expected[i], a = actual[i];
            if (!(Math.abs(a - e) <= tol + tol * Math.abs(e))) {
                fail(what + ": element " + i + " expected " + e + " but was " + a);
            }
        }
    }
}
