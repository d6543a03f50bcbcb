package dev.maskrt.ops.cpu;

import dev.maskrt.util.Workers;

import static org.junit.jupiter.api.Assertions.*;

import dev.maskrt.output.CompactMask;
import dev.maskrt.util.Npy;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class CpuMaskPasterTest {
    /**
     * A pasted pixel may differ from detectron2 only where torch's probability is within this distance of the
     * threshold. In practice none differ: the Java arithmetic (including torch's fused multiply-adds) is bit-exact,
     * which {@link #probabilitiesAreBitExactWithTorch} checks directly.
     */
    private static final double TOLERANCE = 1e-6;

    private static final Workers TWO = new Workers(2);

    @AfterAll
    static void closeWorkers() {
        TWO.close();
    }

    /** One golden archive written by tools/reference/make_paste_goldens.py. */
    private static final class Golden {
        final float[] masks, boxes, nearProb, probs;
        final int n, maskHeight, maskWidth, imageHeight, imageWidth;
        final float threshold;
        final int[] hulls, nearIndex;
        final byte[] packedBits;

        Golden(String name) throws Exception {
            Map<String, Npy.Array> a = Npy.readArchive(Path.of("src/test/resources/ops/paste/" + name + ".npz"));
            int[] shape = a.get("masks").shape();
            n = shape[0];
            maskHeight = shape[1];
            maskWidth = shape[2];
            masks = a.get("masks").asFloats();
            boxes = a.get("boxes").asFloats();
            int[] size = a.get("image_size").asInts();
            imageHeight = size[0];
            imageWidth = size[1];
            threshold = (float) a.get("threshold").scalar();
            hulls = a.get("hulls").asInts();
            packedBits = a.get("bits").asBytes();
            nearIndex = a.get("near_index").asInts();
            nearProb = a.get("near_prob").asFloats();
            probs = a.containsKey("probs") ? a.get("probs").asFloats() : null;
        }

        /** Bit {@code k} of the concatenated hull bitmaps (numpy.packbits, big bit order). */
        boolean expectedBit(long k) {
            return ((packedBits[(int) (k >>> 3)] >> (7 - (int) (k & 7))) & 1) != 0;
        }

        /** Torch's probability at concatenated index {@code k} if it is near the threshold, else NaN. */
        float nearProbability(long k) {
            int i = java.util.Arrays.binarySearch(nearIndex, (int) k);
            return i >= 0 ? nearProb[i] : Float.NaN;
        }

        CompactMask[] paste(Workers workers) {
            return new CpuMaskPaster(workers).paste(masks, maskHeight, maskWidth, boxes, imageHeight, imageWidth,
                    threshold);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"small_nasty", "small_shift1", "small_shift2", "small_shift3", "small_threshold_0",
            "small_threshold_0_3", "small_threshold_1", "nonsquare_14x28", "nonsquare_28x14", "nonsquare_1x1",
            "nonsquare_3x7", "image_1x1", "large_1040x1408", "empty"})
    void matchesFrameworkGoldens(String name) throws Exception {
        Golden g = new Golden(name);
        CompactMask[] out = g.paste(TWO);
        assertEquals(g.n, out.length);
        long offset = 0;
        int tolerated = 0;
        for (int i = 0; i < g.n; i++) {
            int hx0 = g.hulls[4 * i], hy0 = g.hulls[4 * i + 1], hx1 = g.hulls[4 * i + 2], hy1 = g.hulls[4 * i + 3];
            int w = hx1 - hx0, h = hy1 - hy0;
            CompactMask m = out[i];
            assertEquals(g.imageHeight, m.imageHeight());
            assertEquals(g.imageWidth, m.imageWidth());
            if (w <= 0 || h <= 0) {
                assertEquals(0, m.width() * m.height(), name + " mask " + i + " should be empty");
                continue;
            }
            assertEquals(hx0, m.x(), name + " mask " + i + " hull x");
            assertEquals(hy0, m.y(), name + " mask " + i + " hull y");
            assertEquals(w, m.width(), name + " mask " + i + " hull width");
            assertEquals(h, m.height(), name + " mask " + i + " hull height");
            for (int k = 0; k < w * h; k++) {
                boolean expected = g.expectedBit(offset + k);
                if ((m.bitAt(k) != 0) != expected) {
                    float p = g.nearProbability(offset + k);
                    assertTrue(Math.abs((double) p - g.threshold) <= TOLERANCE, name + " mask " + i + " pixel ("
                            + (hx0 + k % w) + ", " + (hy0 + k / w) + ") differs; torch probability " + p);
                    tolerated++;
                }
            }
            offset += (long) w * h;
        }
        assertEquals(0, tolerated, name + ": pixels differing within the tolerance");
    }

    @ParameterizedTest
    @ValueSource(strings = {"small_nasty", "small_shift1", "small_shift2", "small_shift3", "nonsquare_14x28",
            "nonsquare_28x14", "nonsquare_1x1", "nonsquare_3x7", "image_1x1"})
    void probabilitiesAreBitExactWithTorch(String name) throws Exception {
        Golden g = new Golden(name);
        int offset = 0;
        for (int i = 0; i < g.n; i++) {
            float[] p = CpuMaskPaster.hullProbabilities(g.masks, g.maskHeight, g.maskWidth, g.boxes, i,
                    g.imageHeight, g.imageWidth);
            for (int k = 0; k < p.length; k++) {
                float expected = g.probs[offset + k];
                if (Float.floatToIntBits(expected) != Float.floatToIntBits(p[k])) {
                    fail(name + " mask " + i + " hull index " + k + ": torch " + expected + ", maskrt " + p[k]);
                }
            }
            offset += p.length;
        }
        assertEquals(g.probs.length, offset, name + ": hull sizes");
    }

    @Test
    void resultDoesNotDependOnThreadCount() throws Exception {
        Golden g = new Golden("large_1040x1408");
        CompactMask[] reference;
        try (Workers one = new Workers(1)) {
            reference = g.paste(one);
        }
        for (int threads : new int[] {2, 3}) {
            try (Workers workers = new Workers(threads)) {
                assertArrayEquals(reference, g.paste(workers), threads + " threads");
            }
        }
    }

    /**
     * A 2×2 mask [[0.2, 0.6], [1.0, 0.4]] into box (0, 0, 4, 4) of a 6×6 image. Hull: columns and rows
     * [max(0 - 1, 0), min(4 + 1, 6)) = [0, 5). Pixel x samples mask column ((x + 0.5) / 4 * 2 - 1 + 1) * 2 / 2 - 0.5
     * = x / 2 - 0.25, i.e. x = 0: -0.25 (0.25 of the zero border, 0.75 of column 0), x = 1: 0.25, x = 2: 0.75,
     * x = 3: 1.25, x = 4: 1.75 (0.25 of column 1); rows alike. Interpolating row 0 along x gives
     * [0.15, 0.3, 0.5, 0.45, 0.15], row 1 [0.75, 0.85, 0.55, 0.3, 0.1]; then along y:
     * <pre>
     *   y=0: 0.75*row0            = [0.1125, 0.225,  0.375,  0.3375, 0.1125]
     *   y=1: 0.75*row0 + 0.25*row1 = [0.3,    0.4375, 0.5125, 0.4125, 0.1375]
     *   y=2: 0.25*row0 + 0.75*row1 = [0.6,    0.7125, 0.5375, 0.3375, 0.1125]
     *   y=3: 0.75*row1            = [0.5625, 0.6375, 0.4125, 0.225,  0.075]
     *   y=4: 0.25*row1            = [0.1875, 0.2125, 0.1375, 0.075,  0.025]
     * </pre>
     * so at threshold 0.5 the set pixels are (2,1), (0,2), (1,2), (2,2), (0,3), (1,3).
     */
    @Test
    void handWorkedTwoByTwoMask() {
        float[] mask = {0.2f, 0.6f, 1.0f, 0.4f};
        CompactMask[] out = new CpuMaskPaster(TWO).paste(mask, 2, 2, new float[] {0, 0, 4, 4}, 6, 6, 0.5f);
        CompactMask m = out[0];
        assertEquals(0, m.x());
        assertEquals(0, m.y());
        assertEquals(5, m.width());
        assertEquals(5, m.height());
        byte[] expected = {
            0, 0, 0, 0, 0,
            0, 0, 1, 0, 0,
            1, 1, 1, 0, 0,
            1, 1, 0, 0, 0,
            0, 0, 0, 0, 0,
        };
        assertArrayEquals(expected, m.bits());
        float[] p = CpuMaskPaster.hullProbabilities(mask, 2, 2, new float[] {0, 0, 4, 4}, 0, 6, 6);
        float[] expectedProbs = {
            0.1125f, 0.225f, 0.375f, 0.3375f, 0.1125f,
            0.3f, 0.4375f, 0.5125f, 0.4125f, 0.1375f,
            0.6f, 0.7125f, 0.5375f, 0.3375f, 0.1125f,
            0.5625f, 0.6375f, 0.4125f, 0.225f, 0.075f,
            0.1875f, 0.2125f, 0.1375f, 0.075f, 0.025f,
        };
        assertArrayEquals(expectedProbs, p, 1e-6f);
    }

    /**
     * Box (0, 0, 2, 2) for a 2×2 mask is one pixel per cell: pixel x samples cell ((x + 0.5) / 2 * 2 - 1 + 1) - 0.5
     * = x exactly, so each pixel gets its cell's value unchanged and the threshold decides on it with {@code >=}.
     * The hull reaches one pixel further (column and row 2), which samples the zero border.
     */
    @Test
    void thresholdIsInclusive() {
        float below = Math.nextDown(0.5f), above = Math.nextUp(0.5f);
        float[] mask = {0.5f, below, above, 1f};
        CompactMask m = new CpuMaskPaster(TWO).paste(mask, 2, 2, new float[] {0, 0, 2, 2}, 3, 3, 0.5f)[0];
        assertEquals(3, m.width());
        assertEquals(3, m.height());
        assertArrayEquals(new byte[] {1, 0, 0, 1, 1, 0, 0, 0, 0}, m.bits());
        CompactMask atZero = new CpuMaskPaster(TWO).paste(mask, 2, 2, new float[] {0, 0, 2, 2}, 3, 3, 0f)[0];
        assertEquals(9, atZero.area(), "threshold 0 keeps the whole hull, zeros included");
    }

    @Test
    void degenerateBoxesGiveEmptyMasks() {
        float[] boxes = {
            5, 5, 5, 9, // zero width
            5, 5, 9, 5, // zero height
            9, 5, 5, 9, // x1 < x0
            Float.NEGATIVE_INFINITY, 0, 5, 5,
            0, 0, Float.POSITIVE_INFINITY, 5,
            2, 2, 8, 8, // a normal box, so the degenerate ones are not empty by accident
        };
        float[] masks = new float[6 * 4];
        java.util.Arrays.fill(masks, 1f);
        CompactMask[] out = new CpuMaskPaster(TWO).paste(masks, 2, 2, boxes, 10, 10, 0.5f);
        for (int i = 0; i < 5; i++) {
            assertEquals(CompactMask.empty(10, 10), out[i], "box " + i);
        }
        assertTrue(out[5].area() > 0);
    }

    @Test
    void emptyInputGivesEmptyOutput() {
        assertEquals(0, new CpuMaskPaster(TWO).paste(new float[0], 28, 28, new float[0], 5, 5, 0.5f).length);
    }

    @Test
    void badArgumentsAreRefusedByName() {
        CpuMaskPaster p = new CpuMaskPaster(TWO);
        float[] box = {0, 0, 4, 4};
        float[] mask = new float[4];
        assertMessageNames("masks", () -> p.paste(new float[5], 2, 2, box, 6, 6, 0.5f));
        assertMessageNames("masks", () -> p.paste(null, 2, 2, box, 6, 6, 0.5f));
        assertMessageNames("boxes", () -> p.paste(mask, 2, 2, new float[] {0, 0, 4}, 6, 6, 0.5f));
        assertMessageNames("boxes", () -> p.paste(mask, 2, 2, null, 6, 6, 0.5f));
        assertMessageNames("boxes[2]", () -> p.paste(mask, 2, 2, new float[] {0, 0, Float.NaN, 4}, 6, 6, 0.5f));
        assertMessageNames("imageHeight", () -> p.paste(mask, 2, 2, box, 0, 6, 0.5f));
        assertMessageNames("imageWidth", () -> p.paste(mask, 2, 2, box, 6, -1, 0.5f));
        assertMessageNames("maskHeight", () -> p.paste(mask, 0, 2, box, 6, 6, 0.5f));
        assertMessageNames("maskWidth", () -> p.paste(mask, 2, 0, box, 6, 6, 0.5f));
        assertMessageNames("threshold", () -> p.paste(mask, 2, 2, box, 6, 6, -0.1f));
        assertMessageNames("threshold", () -> p.paste(mask, 2, 2, box, 6, 6, Float.NaN));
        assertMessageNames("threshold", () -> p.paste(mask, 2, 2, box, 6, 6, Float.POSITIVE_INFINITY));
        assertThrows(NullPointerException.class, () -> new CpuMaskPaster(null));
    }

    private static void assertMessageNames(String argument, org.junit.jupiter.api.function.Executable call) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(e.getMessage().startsWith(argument), "message should name " + argument + ": " + e.getMessage());
    }
}
