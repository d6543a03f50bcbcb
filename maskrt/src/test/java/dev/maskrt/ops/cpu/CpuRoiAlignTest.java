package dev.maskrt.ops.cpu;

import dev.maskrt.util.Workers;

import static dev.maskrt.ops.RoiAlignGoldens.cases;
import static dev.maskrt.ops.RoiAlignGoldens.map;
import static dev.maskrt.ops.RoiAlignGoldens.pyramid;
import static org.junit.jupiter.api.Assertions.*;

import dev.maskrt.ops.FeatureMap;
import dev.maskrt.ops.RoiAlignGoldens;
import dev.maskrt.ops.LevelMapping;
import dev.maskrt.ops.RoiAlign;
import dev.maskrt.util.Npy;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * CpuRoiAlign against torchvision / detectron2 / mmdetection goldens (tools/reference/make_roi_align_goldens.py),
 * the ONNX RoiAlign node tests, hand-worked cases, bad input and thread-count independence; reading the maps channels
 * last here, in planes in {@link CpuRoiAlignPlanesTest}.
 *
 * <p>Tolerance: {@code |actual - expected| <= 1e-5 + 1e-5 * |expected|}; maskrt merges the bilinear taps of a bin
 * before summing, so the last bits differ from torchvision's per-sample sums.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CpuRoiAlignTest {
    private static final Path DIR = Path.of("src/test/resources/ops/roialign");
    private static final float TOL = RoiAlignGoldens.TOLERANCE;

    private Workers two;
    private RoiAlign op;

    /** The way of reading the maps under test: channels last here, planes in {@link CpuRoiAlignPlanesTest}. */
    CpuRoiAlign.Layout layout() {
        return CpuRoiAlign.Layout.CHANNELS_LAST;
    }

    @BeforeAll
    void setUp() {
        two = new Workers(2);
        op = new CpuRoiAlign(two, layout());
    }

    @AfterAll
    void tearDown() {
        two.close();
    }

    static void assertClose(float[] expected, float[] actual, String what) {
        assertClose(expected, actual, TOL, what);
    }

    static void assertClose(float[] expected, float[] actual, float tol, String what) {
        RoiAlignGoldens.assertClose(expected, actual, tol, what);
    }

    @Test
    void singleLevelMatchesTorchvisionRoiAlign() throws Exception {
        Map<String, Npy.Array> g = Npy.readArchive(DIR.resolve("single.npz"));
        FeatureMap features = map(g.get("features"), (float) g.get("spatial_scale").scalar());
        float[] rois = g.get("rois").asFloats();
        int[] batch = g.get("batch_index").asInts();
        List<String> names = cases(g, "c");
        assertEquals(20, names.size());
        for (String name : names) {
            int[] p = g.get(name + "_params").asInts();
            float[] out = op.roiAlign(features, rois, batch, p[0], p[1], p[2], p[3] == 1);
            assertClose(g.get(name + "_out").asFloats(), out, name + Arrays.toString(p));
        }
    }

    @Test
    void oneRowFeatureMapClampsToTheLastRow() throws Exception {
        Map<String, Npy.Array> g = Npy.readArchive(DIR.resolve("single.npz"));
        FeatureMap thin = map(g.get("thin_features"), 1f);
        float[] rois = g.get("thin_rois").asFloats();
        int[] batch = new int[rois.length / 4];
        assertClose(g.get("thin1_out").asFloats(), op.roiAlign(thin, rois, batch, 2, 3, 0, true), "aligned");
        assertClose(g.get("thin0_out").asFloats(), op.roiAlign(thin, rois, batch, 2, 3, 0, false), "not aligned");
    }

    @Test
    void multiLevelMatchesDetectron2RoiPooler() throws Exception {
        Map<String, Npy.Array> g = Npy.readArchive(DIR.resolve("multi.npz"));
        FeatureMap[] levels = pyramid(g);
        float[] rois = g.get("rois").asFloats();
        int[] batch = g.get("batch_index").asInts();
        List<String> names = cases(g, "d2_");
        assertEquals(5, names.size());
        for (String name : names) {
            int[] p = g.get(name + "_params").asInts();
            double eps = name.contains("recent") ? LevelMapping.DETECTRON2_EPS_RECENT : LevelMapping.DETECTRON2_EPS_LEGACY;
            LevelMapping mapping = LevelMapping.detectron2(224, 4, eps);
            float[] out = op.multiLevel(levels, rois, batch, p[0], p[1], p[2], p[3] == 1, mapping);
            assertClose(g.get(name + "_out").asFloats(), out, name);
        }
    }

    @Test
    void multiLevelMatchesTorchvisionMultiScaleRoiAlign() throws Exception {
        Map<String, Npy.Array> g = Npy.readArchive(DIR.resolve("multi.npz"));
        FeatureMap[] levels = pyramid(g);
        RoiAlignGoldens.Rois sorted = RoiAlignGoldens.sortedByImage(g); // torchvision takes boxes per image
        float[] rois = sorted.boxes();
        int[] batch = sorted.batchIndex();
        for (String name : cases(g, "tv_")) {
            int[] p = g.get(name + "_params").asInts();
            assertEquals(0, p[3], "MultiScaleRoIAlign is not aligned");
            float[] out = op.multiLevel(levels, rois, batch, p[0], p[1], p[2], false, LevelMapping.torchvision());
            assertClose(g.get(name + "_out").asFloats(), out, name);
        }
    }

    @Test
    void multiLevelMatchesMmdetectionMapping() throws Exception {
        Map<String, Npy.Array> g = Npy.readArchive(DIR.resolve("multi.npz"));
        float[] out = op.multiLevel(pyramid(g), g.get("rois").asFloats(), g.get("batch_index").asInts(), 7, 7, 0,
                true, LevelMapping.mmdetection());
        assertClose(g.get("mm_7_out").asFloats(), out, "mm_7");
    }

    @Test
    void aSingleLevelTakesEveryRoiWithoutMapping() throws Exception {
        Map<String, Npy.Array> g = Npy.readArchive(DIR.resolve("multi.npz"));
        FeatureMap[] one = {map(g.get("p3"), 0.125f)};
        float[] out = op.multiLevel(one, g.get("rois").asFloats(), g.get("batch_index").asInts(), 7, 7, 0, true,
                LevelMapping.detectron2());
        assertClose(g.get("one_out").asFloats(), out, "one level");
    }

    /** The ONNX test outputs are printed to 4 decimals (torchvision differs from them by up to 8.4e-5). */
    @Test
    void onnxRoiAlignNodeTests() throws Exception {
        Map<String, Npy.Array> g = Npy.readArchive(DIR.resolve("onnx.npz"));
        for (String name : new String[] {"aligned_true", "aligned_false"}) {
            int[] p = g.get(name + "_params").asInts(); // half_pixel = aligned, output_half_pixel = not
            FeatureMap x = map(g.get(name + "_X"), (float) g.get(name + "_spatial_scale").scalar());
            float[] out = op.roiAlign(x, g.get(name + "_rois").asFloats(), g.get(name + "_batch_indices").asInts(),
                    p[0], p[1], p[2], p[3] == 1);
            assertClose(g.get(name + "_Y").asFloats(), out, 1e-4f, name);
        }
    }

    /** Map [[1, 2], [3, 4]], stride 1, RoI (0, 0, 2, 2), not aligned, one bin. */
    @Test
    void handWorkedTwoByTwo() {
        FeatureMap f = new FeatureMap(new float[] {1, 2, 3, 4}, 1, 1, 2, 2, 1f);
        float[] roi = {0, 0, 2, 2};
        int[] b = {0};
        // one sample at (1, 1): row and column 1 are the last, clamped: the value 4
        assertArrayEquals(new float[] {4f}, op.roiAlign(f, roi, b, 1, 1, 1, false));
        // samples at 0.5 / 1.5: (0.5, 0.5) = 2.5, (0.5, 1.5) = (2 + 4) / 2 = 3, (1.5, 0.5) = 3.5, (1.5, 1.5) = 4
        assertArrayEquals(new float[] {3.25f}, op.roiAlign(f, roi, b, 1, 1, 2, false));
        // aligned: corners shift to -0.5 .. 1.5; samples at 0 and 1 hit pixels 1, 2, 3, 4 exactly
        assertArrayEquals(new float[] {2.5f}, op.roiAlign(f, roi, b, 1, 1, 2, true));
        // 2x2 bins, aligned, adaptive grid = ceil(2 / 2) = 1: one sample per bin at its centre = each pixel
        assertArrayEquals(new float[] {1, 2, 3, 4}, op.roiAlign(f, roi, b, 2, 2, 0, true));
        // 1x1 map [5], not aligned, one sample per bin: a sample exactly at -1 is in range (clamped to 0) ...
        FeatureMap five = new FeatureMap(new float[] {5}, 1, 1, 1, 1, 1f);
        assertArrayEquals(new float[] {5f}, op.roiAlign(five, new float[] {-1.5f, -1.5f, -0.5f, -0.5f}, b, 1, 1, 1, false));
        // ... just beyond it counts 0
        assertArrayEquals(new float[] {0f}, op.roiAlign(five, new float[] {-1.6f, -1.5f, -0.6f, -0.5f}, b, 1, 1, 1, false));
        // and exactly at x = width is in range (clamped to the last column), beyond is 0
        assertArrayEquals(new float[] {5f}, op.roiAlign(five, new float[] {0.5f, 0, 1.5f, 1}, b, 1, 1, 1, false));
        assertArrayEquals(new float[] {0f}, op.roiAlign(five, new float[] {0.75f, 0, 1.75f, 1}, b, 1, 1, 1, false));
    }

    /**
     * An aligned RoI inverted along one axis by more than a bin, adaptive sampling: its grid is negative along
     * that axis. torchvision throws ("cannot create std::vector larger than max_size()"); maskrt has no samples
     * and pools zeros, as torchvision does when both axes are inverted.
     */
    @Test
    void oneAxisInvertedAlignedRoiPoolsZeros() {
        float[] data = new float[2 * 10 * 10];
        Arrays.fill(data, 1f);
        FeatureMap f = new FeatureMap(data, 1, 2, 10, 10, 1f);
        float[] out = op.roiAlign(f, new float[] {8, 1, 1, 9}, new int[] {0}, 2, 2, 0, true);
        assertArrayEquals(new float[8], out);
        // with a fixed sampling ratio the samples walk backwards across the map: all ones here
        float[] fixed = op.roiAlign(f, new float[] {8, 1, 1, 9}, new int[] {0}, 2, 2, 2, true);
        float[] ones = new float[8];
        Arrays.fill(ones, 1f);
        assertArrayEquals(ones, fixed);
    }

    /**
     * The buffer form writes exactly the array form's values, zeros included, from the buffer's position: the
     * buffer (direct, or over a heap array) is filled with NaN first, and the RoIs include ones with no sample inside
     * their map (all zeros), an inverted one and one hanging past the maps (rows and bins without samples). The
     * interface's default (used by the CUDA twin) does the same.
     */
    @Test
    void intoABufferWritesEveryValueAsTheArrayForm() throws Exception {
        Map<String, Npy.Array> g = Npy.readArchive(DIR.resolve("multi.npz"));
        FeatureMap[] levels = pyramid(g);
        float[] golden = g.get("rois").asFloats();
        int[] goldenBatch = g.get("batch_index").asInts();
        float[] extra = {5000, 5000, 5100, 5100, -900, -900, -800, -800, 40, 10, 30, 60, 20, 20, 21, 21,
                100, 100, 420, 420}; // the last hangs past the maps' bottom right: rows and bins without samples
        float[] rois = Arrays.copyOf(golden, golden.length + extra.length);
        System.arraycopy(extra, 0, rois, golden.length, extra.length);
        int[] batch = Arrays.copyOf(goldenBatch, rois.length / 4);
        LevelMapping mapping = LevelMapping.detectron2(224, 4, LevelMapping.DETECTRON2_EPS_LEGACY);
        RoiAlign defaultForm = new RoiAlign() {
            @Override
            public float[] roiAlign(FeatureMap f, float[] r, int[] b, int oh, int ow, int sr, boolean a) {
                return op.roiAlign(f, r, b, oh, ow, sr, a);
            }

            @Override
            public float[] multiLevel(FeatureMap[] l, float[] r, int[] b, int oh, int ow, int sr, boolean a,
                    LevelMapping m) {
                return op.multiLevel(l, r, b, oh, ow, sr, a, m);
            }
        };
        for (int sampling : new int[] {0, 2}) {
            float[] expected = op.multiLevel(levels, rois, batch, 7, 7, sampling, true, mapping);
            for (RoiAlign form : new RoiAlign[] {op, defaultForm}) {
                // direct with room around the result; heap of exactly the result's size (the array forms' shape)
                FloatBuffer direct = ByteBuffer.allocateDirect((expected.length + 8) * Float.BYTES)
                        .order(ByteOrder.nativeOrder()).asFloatBuffer();
                FloatBuffer heap = FloatBuffer.wrap(new float[expected.length]);
                for (FloatBuffer out : new FloatBuffer[] {direct, heap}) {
                    for (int i = 0; i < out.capacity(); i++) out.put(i, Float.NaN);
                    int at = out == direct ? 3 : 0;
                    out.position(at);
                    form.multiLevel(levels, rois, batch, 7, 7, sampling, true, mapping, out);
                    assertEquals(at, out.position(), "position unchanged");
                    float[] written = new float[expected.length];
                    out.get(at, written);
                    assertArrayEquals(expected, written, "sampling " + sampling + ", direct " + out.isDirect() + ", "
                            + form);
                }
                assertTrue(Float.isNaN(direct.get(2)) && Float.isNaN(direct.get(3 + expected.length)), "only its range");
            }
            int d2 = golden.length / 4 * levels[0].channels() * 49;
            float[] sameAsGolden = Arrays.copyOf(expected, d2);
            if (sampling == 0) assertClose(g.get("d2_legacy_7_out").asFloats(), sameAsGolden, "d2_legacy_7 in a larger call");
            float[] tail = Arrays.copyOfRange(expected, d2, d2 + 2 * levels[0].channels() * 49);
            assertArrayEquals(new float[tail.length], tail, "RoIs outside every map pool zeros");
            int last = (rois.length / 4 - 1) * levels[0].channels() * 49;
            assertEquals(0f, expected[last + 48], "the overhanging RoI's bottom-right bin has no sample");
        }
        FloatBuffer small = FloatBuffer.allocate(10);
        assertBad("out", () -> op.multiLevel(levels, rois, batch, 7, 7, 0, true, mapping, small));
        assertBad("out", () -> defaultForm.multiLevel(levels, rois, batch, 7, 7, 0, true, mapping, small));
        assertBad("out", () -> op.multiLevel(levels, rois, batch, 7, 7, 0, true, mapping, null));
    }

    /** AUTO: few RoIs on large maps read planes, unless every map has its NHWC copy already (then it is free). */
    @Test
    void autoReadsChannelsLastForManyRoisOrWhenTheCopiesExist() {
        FeatureMap p2 = new FeatureMap(new float[2 * 8 * 64 * 64], 2, 8, 64, 64, 0.25f);
        FeatureMap p3 = new FeatureMap(new float[2 * 8 * 32 * 32], 2, 8, 32, 32, 0.125f);
        FeatureMap[] maps = {p2, p3};
        CpuRoiAlign auto = new CpuRoiAlign(two);
        int pixels = 2 * (64 * 64 + 32 * 32);
        assertFalse(auto.channelsLast(maps, 10, 49), "10 RoIs x 49 bins on " + pixels + " pixels");
        assertTrue(auto.channelsLast(maps, pixels / 4 / 49 + 1, 49));
        p2.channelsLast(two);
        assertFalse(auto.channelsLast(maps, 10, 49), "one map copied only");
        p3.channelsLast(two);
        assertTrue(auto.channelsLast(maps, 10, 49), "every map copied");
        assertEquals(layout() == CpuRoiAlign.Layout.CHANNELS_LAST,
                new CpuRoiAlign(two, layout()).channelsLast(new FeatureMap[] {p2}, 1, 1), "a fixed layout");
    }

    @Test
    void emptyRoisGiveEmptyOutput() throws Exception {
        FeatureMap f = new FeatureMap(new float[12], 1, 3, 2, 2, 1f);
        assertEquals(0, op.roiAlign(f, new float[0], new int[0], 7, 7, 0, true).length);
        assertEquals(0, op.multiLevel(new FeatureMap[] {f, new FeatureMap(new float[3], 1, 3, 1, 1, 0.5f)},
                new float[0], new int[0], 7, 7, 0, true, LevelMapping.detectron2()).length);
    }

    @Test
    void badInputNamesTheArgument() {
        FeatureMap f = new FeatureMap(new float[2 * 3 * 4 * 5], 2, 3, 4, 5, 0.5f);
        float[] roi = {0, 0, 4, 4};
        int[] b = {0};
        assertBad("rois", () -> op.roiAlign(f, new float[] {0, 0, 4}, b, 7, 7, 0, true));
        assertBad("rois", () -> op.roiAlign(f, null, b, 7, 7, 0, true));
        assertBad("rois", () -> op.roiAlign(f, new float[] {0, Float.NaN, 4, 4}, b, 7, 7, 0, true));
        assertBad("rois", () -> op.roiAlign(f, new float[] {0, 0, Float.POSITIVE_INFINITY, 4}, b, 7, 7, 0, true));
        assertBad("batchIndex", () -> op.roiAlign(f, roi, new int[] {0, 1}, 7, 7, 0, true));
        assertBad("batchIndex", () -> op.roiAlign(f, roi, new int[] {2}, 7, 7, 0, true));
        assertBad("batchIndex", () -> op.roiAlign(f, roi, new int[] {-1}, 7, 7, 0, true));
        assertBad("samplingRatio", () -> op.roiAlign(f, roi, b, 7, 7, -1, true));
        assertBad("outputHeight", () -> op.roiAlign(f, roi, b, 0, 7, 0, true));
        assertBad("outputWidth", () -> op.roiAlign(f, roi, b, 7, -2, 0, true));
        assertBad("features", () -> op.roiAlign(null, roi, b, 7, 7, 0, true));
        FeatureMap p3 = new FeatureMap(new float[2 * 3 * 2 * 3], 2, 3, 2, 3, 0.25f);
        assertBad("mapping", () -> op.multiLevel(new FeatureMap[] {f, p3}, roi, b, 7, 7, 0, true, null));
        assertBad("levels", () -> op.multiLevel(new FeatureMap[0], roi, b, 7, 7, 0, true, LevelMapping.detectron2()));
        assertBad("levels[1]", () -> op.multiLevel(new FeatureMap[] {f, f}, roi, b, 7, 7, 0, true, LevelMapping.detectron2()));
        FeatureMap odd = new FeatureMap(new float[2 * 3 * 2 * 3], 2, 3, 2, 3, 0.3f);
        assertBad("levels[0]", () -> op.multiLevel(new FeatureMap[] {odd}, roi, b, 7, 7, 0, true, LevelMapping.detectron2()));
        FeatureMap otherChannels = new FeatureMap(new float[2 * 4 * 2 * 3], 2, 4, 2, 3, 0.25f);
        assertBad("levels[1]", () -> op.multiLevel(new FeatureMap[] {f, otherChannels}, roi, b, 7, 7, 0, true,
                LevelMapping.detectron2()));
        assertBad("batchIndex", () -> op.multiLevel(new FeatureMap[] {f, p3}, roi, new int[] {5}, 7, 7, 0, true,
                LevelMapping.detectron2()));
        assertBad("data", () -> new FeatureMap(new float[5], 1, 1, 2, 3, 1f));
        assertBad("spatialScale", () -> new FeatureMap(new float[6], 1, 1, 2, 3, 0f));
        assertBad("height", () -> new FeatureMap(new float[0], 1, 1, 0, 3, 1f));
        assertBad("workers", () -> new CpuRoiAlign(null));
    }

    static void assertBad(String argument, org.junit.jupiter.api.function.Executable call) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(e.getMessage().startsWith(argument), "message should name " + argument + ": " + e.getMessage());
    }

    @Test
    void resultsDoNotDependOnTheThreadCount() throws Exception {
        Random r = new Random(7);
        FeatureMap[] levels = new FeatureMap[4];
        for (int k = 0; k < 4; k++) {
            int h = 64 >> k, w = 96 >> k;
            float[] d = new float[2 * 16 * h * w];
            for (int i = 0; i < d.length; i++) d[i] = (float) r.nextGaussian();
            levels[k] = new FeatureMap(d, 2, 16, h, w, 0.25f / (1 << k));
        }
        int n = 700;
        float[] rois = new float[4 * n];
        int[] batch = new int[n];
        for (int i = 0; i < n; i++) {
            float size = (float) Math.exp(Math.log(4) + r.nextDouble() * Math.log(150));
            float cx = r.nextFloat() * 384, cy = r.nextFloat() * 256;
            rois[4 * i] = cx - size / 2;
            rois[4 * i + 1] = cy - size * r.nextFloat();
            rois[4 * i + 2] = cx + size / 2;
            rois[4 * i + 3] = cy + size * r.nextFloat();
            batch[i] = r.nextInt(2);
        }
        float[][] multi = new float[3][];
        float[][] single = new float[3][];
        for (int t = 1; t <= 3; t++) {
            try (Workers w = new Workers(t)) {
                RoiAlign a = new CpuRoiAlign(w, layout());
                multi[t - 1] = a.multiLevel(levels, rois, batch, 7, 7, 0, true, LevelMapping.detectron2());
                single[t - 1] = a.roiAlign(levels[1], rois, batch, 14, 14, 2, false);
            }
        }
        for (int t = 1; t < 3; t++) {
            assertArrayEquals(multi[0], multi[t], "multi-level, " + (t + 1) + " threads vs 1");
            assertArrayEquals(single[0], single[t], "single level, " + (t + 1) + " threads vs 1");
        }
        long nonZero = 0;
        for (float v : multi[0]) if (v != 0) nonZero++;
        assertTrue(nonZero > multi[0].length / 2, "most outputs are non-zero: " + nonZero + " of " + multi[0].length);
    }
}
