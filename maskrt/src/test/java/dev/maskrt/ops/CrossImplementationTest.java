package dev.maskrt.ops;

import static dev.maskrt.ops.RoiAlignGoldens.cases;
import static dev.maskrt.ops.RoiAlignGoldens.map;
import static dev.maskrt.ops.RoiAlignGoldens.pyramid;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.maskrt.ops.cpu.CpuBoxTransform;
import dev.maskrt.output.CompactMask;
import dev.maskrt.util.Npy;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The cross-implementation suite: every implementation of the sparse ops ({@link OpsImplementations}) against
 * the goldens of tools/reference (torchvision / detectron2 outputs committed under src/test/resources/ops), with
 * the same expectations for each. CUDA cases are skipped where no device is present. The CPU classes' own
 * tests cover what is CPU-specific (thread counts, internals). No test here compares the CPU op with itself: each
 * compares with a reference (goldens, a plain reference kernel, the ranking rule), and where an implementation
 * promises the CPU op's exact results (CUDA box decoding) it is also compared with the CPU op.
 */
class CrossImplementationTest {
    private static final Path ROI = Path.of("src/test/resources/ops/roialign");
    private static final float ROI_TOLERANCE = RoiAlignGoldens.TOLERANCE;

    @ParameterizedTest
    @MethodSource("dev.maskrt.ops.OpsImplementations#all")
    void nmsMatchesTorchvision(Supplier<SparseOps> impl) {
        Nms nms = impl.get().nms();
        BoxGoldens.cases("nms.npz").forEach((name, c) -> assertArrayEquals(c.get("keep").asInts(),
                nms.nms(c.get("boxes").asFloats(), c.get("scores").asFloats(), c.get("threshold").scalar()), name));
    }

    @ParameterizedTest
    @MethodSource("dev.maskrt.ops.OpsImplementations#all")
    void batchedNmsMatchesTorchvisionPerGroup(Supplier<SparseOps> impl) {
        Nms nms = impl.get().nms();
        BoxGoldens.cases("batched_nms.npz").forEach((name, c) -> {
            float[] boxes = c.get("boxes").asFloats(), scores = c.get("scores").asFloats();
            int[] groups = c.get("groups").asInts();
            int[] got = nms.batchedNms(boxes, scores, groups, c.get("threshold").scalar());
            // the same kept set as torchvision's per-class path; torchvision concatenates tied scores in group
            // order, the Nms contract ranks them by index: descending score, ties (-0 == +0) by ascending index
            int[] sortedGot = got.clone(), sortedVanilla = c.get("vanilla").asInts().clone();
            Arrays.sort(sortedGot);
            Arrays.sort(sortedVanilla);
            assertArrayEquals(sortedVanilla, sortedGot, name + ": kept set");
            for (int i = 1; i < got.length; i++) {
                float before = scores[got[i - 1]], after = scores[got[i]];
                assertTrue(before > after || (before == after && got[i - 1] < got[i]),
                        name + ": kept " + got[i - 1] + " (" + before + ") ranked before " + got[i] + " (" + after + ")");
            }
        });
    }

    @ParameterizedTest
    @MethodSource("dev.maskrt.ops.OpsImplementations#all")
    void topKIsTheStableRanking(Supplier<SparseOps> impl) {
        Nms nms = impl.get().nms();
        BoxGoldens.cases("topk.npz").forEach((name, c) -> assertArrayEquals(c.get("stable").asInts(),
                nms.topK(c.get("scores").asFloats(), (int) c.get("k").scalar()), name));
    }

    @ParameterizedTest
    @MethodSource("dev.maskrt.ops.OpsImplementations#all")
    void applyDeltasMatchesDetectron2AndOtherImplementationsTheCpuOpBitForBit(Supplier<SparseOps> impl) {
        BoxTransform cpu = new CpuBoxTransform();
        BoxTransform op = impl.get().boxTransform();
        boolean isCpu = impl.get().name().equals("cpu");
        BoxGoldens.cases("deltas.npz").forEach((name, c) -> {
            float[] deltas = c.get("deltas").asFloats(), boxes = c.get("boxes").asFloats();
            float[] weights = c.get("weights").asFloats();
            float clamp = (float) c.get("scale_clamp").scalar();
            float[] got = op.applyDeltas(deltas, boxes, weights, clamp);
            // detectron2's result, up to torch's vectorised exp being 1 ulp off the correctly rounded one: at most
            // about 2 ulp of the half size plus 1 ulp of the coordinate (CpuBoxTransformTest counts the exact ones)
            float[] detectron2 = c.get("out").asFloats();
            assertEquals(detectron2.length, got.length, name);
            for (int i = 0; i < got.length; i++) {
                if (Float.compare(detectron2[i], got[i]) == 0) continue;
                int box = i - i % 4, axis = i % 2;
                float half = Math.abs(detectron2[box + 2 + axis] - detectron2[box + axis]) / 2;
                double tolerance = 2 * Math.ulp(half) + Math.ulp(Math.abs(detectron2[i]));
                assertTrue(Float.isFinite(got[i]) && Math.abs(detectron2[i] - got[i]) <= tolerance,
                        name + "[" + i + "]: detectron2 " + detectron2[i] + ", " + impl.get().name() + " " + got[i]);
            }
            if (isCpu) return;
            // every other implementation promises the CPU op's float32 steps exactly
            float[] want = cpu.applyDeltas(deltas, boxes, weights, clamp);
            for (int i = 0; i < want.length; i++) {
                if (Float.floatToIntBits(want[i]) != Float.floatToIntBits(got[i])) {
                    fail(name + "[" + i + "]: cpu " + want[i] + ", " + impl.get().name() + " " + got[i]);
                }
            }
        });
    }

    @ParameterizedTest
    @MethodSource("dev.maskrt.ops.OpsImplementations#all")
    void clipNonEmptyAndFiniteMatchDetectron2(Supplier<SparseOps> impl) {
        BoxTransform op = impl.get().boxTransform();
        BoxGoldens.cases("clip.npz").forEach((name, c) -> {
            if (name.equals("finite")) {
                assertArrayEquals(c.get("keep").asInts(), op.finite(c.get("boxes").asFloats(), c.get("scores").asFloats()));
                return;
            }
            float[] boxes = c.get("boxes").asFloats();
            int[] size = c.get("size").asInts();
            op.clip(boxes, size[0], size[1]);
            float[] want = c.get("clipped").asFloats();
            for (int i = 0; i < want.length; i++) assertTrue(want[i] == boxes[i], name + " [" + i + "]");
            for (int t = 0; t < 3; t++) {
                float threshold = (float) c.get("nonempty" + t + "_threshold").scalar();
                assertArrayEquals(c.get("nonempty" + t).asInts(), op.nonEmpty(boxes, threshold), name + " " + threshold);
            }
        });
    }

    @ParameterizedTest
    @MethodSource("dev.maskrt.ops.OpsImplementations#all")
    void singleLevelRoiAlignMatchesTorchvision(Supplier<SparseOps> impl) throws Exception {
        RoiAlign op = impl.get().roiAlign();
        Map<String, Npy.Array> g = Npy.readArchive(ROI.resolve("single.npz"));
        FeatureMap features = map(g.get("features"), (float) g.get("spatial_scale").scalar());
        float[] rois = g.get("rois").asFloats();
        int[] batch = g.get("batch_index").asInts();
        List<String> names = cases(g, "c");
        assertEquals(20, names.size());
        for (String name : names) {
            int[] p = g.get(name + "_params").asInts();
            float[] out = op.roiAlign(features, rois, batch, p[0], p[1], p[2], p[3] == 1);
            assertClose(g.get(name + "_out").asFloats(), out, name);
        }
    }

    @ParameterizedTest
    @MethodSource("dev.maskrt.ops.OpsImplementations#all")
    void multiLevelRoiAlignMatchesDetectron2AndMmdetection(Supplier<SparseOps> impl) throws Exception {
        RoiAlign op = impl.get().roiAlign();
        Map<String, Npy.Array> g = Npy.readArchive(ROI.resolve("multi.npz"));
        FeatureMap[] levels = pyramid(g);
        float[] rois = g.get("rois").asFloats();
        int[] batch = g.get("batch_index").asInts();
        for (String name : cases(g, "d2_")) {
            int[] p = g.get(name + "_params").asInts();
            double eps = name.contains("recent") ? LevelMapping.DETECTRON2_EPS_RECENT : LevelMapping.DETECTRON2_EPS_LEGACY;
            float[] out = op.multiLevel(levels, rois, batch, p[0], p[1], p[2], p[3] == 1,
                    LevelMapping.detectron2(224, 4, eps));
            assertClose(g.get(name + "_out").asFloats(), out, name);
        }
        assertClose(g.get("mm_7_out").asFloats(), op.multiLevel(levels, rois, batch, 7, 7, 0, true,
                LevelMapping.mmdetection()), "mm_7");
    }

    @ParameterizedTest
    @MethodSource("dev.maskrt.ops.OpsImplementations#all")
    void multiLevelRoiAlignMatchesTorchvisionMultiScale(Supplier<SparseOps> impl) throws Exception {
        RoiAlign op = impl.get().roiAlign();
        Map<String, Npy.Array> g = Npy.readArchive(ROI.resolve("multi.npz"));
        RoiAlignGoldens.Rois sorted = RoiAlignGoldens.sortedByImage(g); // torchvision takes boxes per image
        float[] rois = sorted.boxes();
        int[] batch = sorted.batchIndex();
        for (String name : cases(g, "tv_")) {
            int[] p = g.get(name + "_params").asInts();
            assertClose(g.get(name + "_out").asFloats(), op.multiLevel(pyramid(g), rois, batch, p[0], p[1], p[2],
                    false, LevelMapping.torchvision()), name);
        }
    }

    @ParameterizedTest
    @MethodSource("dev.maskrt.ops.OpsImplementations#all")
    void roiAlignAgreesWithAPlainReferenceOnLargerRandomInput(Supplier<SparseOps> impl) {
        java.util.Random random = new java.util.Random(6);
        float[][] data = new float[4][];
        FeatureMap[] levels = new FeatureMap[4];
        for (int l = 0; l < 4; l++) {
            int h = 64 >> l, w = 80 >> l;
            data[l] = new float[2 * 8 * h * w];
            for (int i = 0; i < data[l].length; i++) data[l][i] = (float) random.nextGaussian();
            levels[l] = new FeatureMap(data[l], 2, 8, h, w, 1f / (4 << l));
        }
        int n = 300;
        float[] rois = new float[4 * n];
        int[] batch = new int[n];
        for (int i = 0; i < n; i++) {
            float x0 = random.nextFloat() * 340 - 10, y0 = random.nextFloat() * 270 - 10;
            float size = (float) Math.exp(random.nextFloat() * 6);
            rois[4 * i] = x0;
            rois[4 * i + 1] = y0;
            rois[4 * i + 2] = x0 + size * (0.5f + random.nextFloat());
            rois[4 * i + 3] = y0 + size * (0.5f + random.nextFloat());
            batch[i] = random.nextInt(2);
        }
        for (boolean aligned : new boolean[] {true, false}) {
            float[] want = plainMultiLevel(levels, rois, batch, 7, 7, aligned ? 0 : 2, aligned, LevelMapping.detectron2());
            float[] got = impl.get().roiAlign().multiLevel(levels, rois, batch, 7, 7, aligned ? 0 : 2, aligned,
                    LevelMapping.detectron2());
            assertClose(want, got, "random pyramid, aligned " + aligned);
        }
    }

    /**
     * torchvision's roi_align CPU kernel written out plainly (one bilinear sample at a time, positions and weights in
     * float as torchvision computes them, sums in double), with the level of each RoI from {@code mapping}: an
     * independent reference for the optimised implementations on inputs the goldens do not cover.
     */
    static float[] plainMultiLevel(FeatureMap[] levels, float[] rois, int[] batchIndex, int outH, int outW,
            int samplingRatio, boolean aligned, LevelMapping mapping) {
        int n = rois.length / 4, channels = levels[0].channels();
        int minLevel = Math.round((float) (-Math.log(levels[0].spatialScale()) / Math.log(2)));
        float[] out = new float[n * channels * outH * outW];
        float offset = aligned ? 0.5f : 0f;
        for (int r = 0; r < n; r++) {
            int level = mapping.level(rois[4 * r], rois[4 * r + 1], rois[4 * r + 2], rois[4 * r + 3], minLevel,
                    minLevel + levels.length - 1);
            if (level == LevelMapping.NO_LEVEL) continue;
            FeatureMap f = levels[level - minLevel];
            float scale = f.spatialScale();
            float x0 = rois[4 * r] * scale - offset, y0 = rois[4 * r + 1] * scale - offset;
            float roiW = rois[4 * r + 2] * scale - offset - x0, roiH = rois[4 * r + 3] * scale - offset - y0;
            if (!aligned) {
                roiW = Math.max(roiW, 1f);
                roiH = Math.max(roiH, 1f);
            }
            float binH = roiH / outH, binW = roiW / outW;
            int gridH = samplingRatio > 0 ? samplingRatio : (int) Math.ceil(roiH / outH);
            int gridW = samplingRatio > 0 ? samplingRatio : (int) Math.ceil(roiW / outW);
            float count = Math.max(gridH * gridW, 1);
            for (int c = 0; c < channels; c++) {
                int plane = (batchIndex[r] * channels + c) * f.height() * f.width();
                for (int ph = 0; ph < outH; ph++) {
                    for (int pw = 0; pw < outW; pw++) {
                        double sum = 0;
                        for (int iy = 0; iy < gridH; iy++) {
                            float y = y0 + ph * binH + (iy + .5f) * binH / gridH;
                            for (int ix = 0; ix < gridW; ix++) {
                                float x = x0 + pw * binW + (ix + .5f) * binW / gridW;
                                sum += bilinear(f, plane, y, x);
                            }
                        }
                        out[((r * channels + c) * outH + ph) * outW + pw] = (float) (sum / count);
                    }
                }
            }
        }
        return out;
    }

    private static double bilinear(FeatureMap f, int plane, float y, float x) {
        int height = f.height(), width = f.width();
        if (y < -1f || y > height || x < -1f || x > width) return 0;
        if (y <= 0) y = 0;
        if (x <= 0) x = 0;
        int yLow = (int) y, xLow = (int) x, yHigh, xHigh;
        if (yLow >= height - 1) {
            yHigh = yLow = height - 1;
            y = yLow;
        } else {
            yHigh = yLow + 1;
        }
        if (xLow >= width - 1) {
            xHigh = xLow = width - 1;
            x = xLow;
        } else {
            xHigh = xLow + 1;
        }
        float ly = y - yLow, lx = x - xLow, hy = 1f - ly, hx = 1f - lx;
        float[] v = f.data();
        return (double) (hy * hx) * v[plane + yLow * width + xLow] + (double) (hy * lx) * v[plane + yLow * width + xHigh]
                + (double) (ly * hx) * v[plane + yHigh * width + xLow] + (double) (ly * lx) * v[plane + yHigh * width + xHigh];
    }

    @ParameterizedTest
    @MethodSource("dev.maskrt.ops.OpsImplementations#all")
    void pasteMatchesDetectron2BitForBit(Supplier<SparseOps> impl) throws Exception {
        MaskPaster paster = impl.get().maskPaster();
        for (String name : new String[] {"small_nasty", "small_shift1", "small_shift2", "small_shift3",
                "small_threshold_0", "small_threshold_0_3", "small_threshold_1", "nonsquare_14x28", "nonsquare_28x14",
                "nonsquare_1x1", "nonsquare_3x7", "image_1x1", "large_1040x1408", "empty"}) {
            Map<String, Npy.Array> a = Npy.readArchive(Path.of("src/test/resources/ops/paste/" + name + ".npz"));
            int[] shape = a.get("masks").shape();
            int[] size = a.get("image_size").asInts();
            CompactMask[] out = paster.paste(a.get("masks").asFloats(), shape[1], shape[2], a.get("boxes").asFloats(),
                    size[0], size[1], (float) a.get("threshold").scalar());
            int[] hulls = a.get("hulls").asInts();
            byte[] packed = a.get("bits").asBytes();
            assertEquals(shape[0], out.length, name);
            long offset = 0;
            for (int i = 0; i < out.length; i++) {
                int w = hulls[4 * i + 2] - hulls[4 * i], h = hulls[4 * i + 3] - hulls[4 * i + 1];
                if (w <= 0 || h <= 0) {
                    assertEquals(CompactMask.empty(size[0], size[1]), out[i], name + " mask " + i);
                    continue;
                }
                CompactMask m = out[i];
                assertEquals(hulls[4 * i], m.x(), name + " mask " + i + " x");
                assertEquals(hulls[4 * i + 1], m.y(), name + " mask " + i + " y");
                assertEquals(w, m.width(), name + " mask " + i + " width");
                assertEquals(h, m.height(), name + " mask " + i + " height");
                for (int k = 0; k < w * h; k++) {
                    long bit = offset + k;
                    boolean expected = ((packed[(int) (bit >>> 3)] >> (7 - (int) (bit & 7))) & 1) != 0;
                    if ((m.bitAt(k) != 0) != expected) fail(name + " mask " + i + " hull pixel " + k);
                }
                offset += (long) w * h;
            }
        }
    }

    @ParameterizedTest
    @MethodSource("dev.maskrt.ops.OpsImplementations#all")
    void emptyInputGivesEmptyOutput(Supplier<SparseOps> impl) {
        SparseOps ops = impl.get();
        assertEquals(0, ops.nms().nms(new float[0], new float[0], 0.5).length);
        assertEquals(0, ops.nms().batchedNms(new float[0], new float[0], new int[0], 0.5).length);
        assertEquals(0, ops.nms().topK(new float[0], 5).length);
        assertEquals(0, ops.nms().topK(new float[] {1, 2}, 0).length);
        assertEquals(0, ops.boxTransform().applyDeltas(new float[0], new float[0], new float[] {1, 1, 1, 1}).length);
        assertEquals(0, ops.boxTransform().nonEmpty(new float[0], 0f).length);
        assertEquals(0, ops.maskPaster().paste(new float[0], 28, 28, new float[0], 5, 5, 0.5f).length);
        FeatureMap f = new FeatureMap(new float[2 * 3 * 4], 1, 2, 3, 4, 0.25f);
        assertEquals(0, ops.roiAlign().roiAlign(f, new float[0], new int[0], 7, 7, 0, true).length);
    }

    @ParameterizedTest
    @MethodSource("dev.maskrt.ops.OpsImplementations#all")
    void badArgumentsAreRefusedByNameBeforeAnyWork(Supplier<SparseOps> impl) {
        SparseOps ops = impl.get();
        float[] box = {0, 0, 4, 4};
        BoxGoldens.assertMessage("boxes", () -> ops.nms().nms(new float[] {0, 0, 1}, new float[1], 0.5));
        BoxGoldens.assertMessage("scores", () -> ops.nms().nms(box, new float[] {Float.NaN}, 0.5));
        BoxGoldens.assertMessage("iouThreshold", () -> ops.nms().nms(box, new float[1], -1));
        BoxGoldens.assertMessage("groups", () -> ops.nms().batchedNms(box, new float[1], new int[2], 0.5));
        BoxGoldens.assertMessage("k", () -> ops.nms().topK(new float[1], -1));
        BoxGoldens.assertMessage("weights", () -> ops.boxTransform().applyDeltas(box, box, new float[] {1, 1, 0, 1}));
        BoxGoldens.assertMessage("boxes", () -> ops.boxTransform().clip(new float[] {0, 0, Float.NaN, 1}, 4, 4));
        BoxGoldens.assertMessage("masks", () -> ops.maskPaster().paste(new float[3], 2, 2, box, 6, 6, 0.5f));
        BoxGoldens.assertMessage("threshold", () -> ops.maskPaster().paste(new float[4], 2, 2, box, 6, 6, -1f));
        FeatureMap f = new FeatureMap(new float[2 * 3 * 4], 1, 2, 3, 4, 0.25f);
        BoxGoldens.assertMessage("batchIndex", () -> ops.roiAlign().roiAlign(f, box, new int[] {1}, 7, 7, 0, true));
        BoxGoldens.assertMessage("samplingRatio", () -> ops.roiAlign().roiAlign(f, box, new int[1], 7, 7, -1, true));
    }

    static void assertClose(float[] expected, float[] actual, String what) {
        RoiAlignGoldens.assertClose(expected, actual, ROI_TOLERANCE, what);
    }
}
