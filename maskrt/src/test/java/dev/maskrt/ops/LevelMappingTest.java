package dev.maskrt.ops;

import static org.junit.jupiter.api.Assertions.*;

import dev.maskrt.util.Npy;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** LevelMapping against the three references (levels.npz from tools/reference/make_roi_align_goldens.py). */
class LevelMappingTest {
    private static final Path GOLDEN = Path.of("src/test/resources/ops/roialign/levels.npz");

    /** The references turn a NaN level into int64 min: no level. */
    private static void assertLevels(int[] expected, int[] actual, int min, int max, float[] boxes, String what) {
        assertEquals(expected.length, actual.length);
        for (int i = 0; i < expected.length; i++) {
            int e = expected[i] >= min && expected[i] <= max ? expected[i] : LevelMapping.NO_LEVEL;
            if (e != actual[i]) {
                fail(what + ": box " + i + " (" + boxes[4 * i] + ", " + boxes[4 * i + 1] + ", " + boxes[4 * i + 2] + ", "
                        + boxes[4 * i + 3] + ") expected level " + e + " but was " + actual[i]);
            }
        }
    }

    @Test
    void matchesTheReferencesAtLevelBoundaries() throws Exception {
        Map<String, Npy.Array> g = Npy.readArchive(GOLDEN);
        float[] boxes = g.get("boxes").asFloats();
        LevelMapping legacy = LevelMapping.detectron2();
        LevelMapping recent = LevelMapping.detectron2(224, 4, LevelMapping.DETECTRON2_EPS_RECENT);
        assertLevels(g.get("d2_legacy").asInts(), legacy.levels(boxes, 2, 5), 2, 5, boxes, "detectron2 1e-8");
        assertLevels(g.get("d2_legacy_3to6").asInts(), legacy.levels(boxes, 3, 6), 3, 6, boxes, "detectron2 1e-8, 3..6");
        assertLevels(g.get("d2_legacy_0to5").asInts(), legacy.levels(boxes, 0, 5), 0, 5, boxes, "detectron2 1e-8, 0..5");
        assertLevels(g.get("d2_recent_0to5").asInts(), recent.levels(boxes, 0, 5), 0, 5, boxes, "detectron2 float eps, 0..5");
        assertLevels(g.get("d2_recent").asInts(), recent.levels(boxes, 2, 5), 2, 5, boxes, "detectron2 float eps");
        assertLevels(g.get("d2_recent_3to6").asInts(), recent.levels(boxes, 3, 6), 3, 6, boxes, "detectron2 float eps, 3..6");
        assertLevels(g.get("tv").asInts(), LevelMapping.torchvision().levels(boxes, 2, 5), 2, 5, boxes, "torchvision");
        assertLevels(g.get("mm").asInts(), LevelMapping.mmdetection().levels(boxes, 2, 5), 2, 5, boxes, "mmdetection");
        assertLevels(g.get("mm_5levels").asInts(), LevelMapping.mmdetection().levels(boxes, 0, 4), 0, 4, boxes,
                "mmdetection, 5 levels");
    }

    @Test
    void handWorkedLevels() {
        LevelMapping d2 = LevelMapping.detectron2();
        assertEquals(4, d2.level(0, 0, 224, 224, 2, 5)); // canonical
        assertEquals(3, d2.level(0, 0, 223, 223, 2, 5));
        assertEquals(5, d2.level(0, 0, 448, 448, 2, 5));
        assertEquals(2, d2.level(0, 0, 1, 1, 2, 5)); // clamped to the finest
        assertEquals(5, d2.level(0, 0, 5000, 5000, 2, 5)); // clamped to the coarsest
        assertEquals(2, d2.level(3, 3, 3, 3, 2, 5)); // zero area
        assertEquals(LevelMapping.NO_LEVEL, d2.level(30, 10, 10, 30, 2, 5)); // negative area
        assertEquals(3, d2.level(200, 200, 50, 50, 2, 5)); // inverted both ways: 150 x 150, 4 + log2(150/224) = 3.42
        LevelMapping mm = LevelMapping.mmdetection();
        assertEquals(2, mm.level(0, 0, 111, 111, 2, 5)); // < 2 * 56
        assertEquals(3, mm.level(0, 0, 112, 112, 2, 5));
        assertEquals(1, mm.level(0, 0, 112, 112, 0, 3)); // an index from the finest level
        assertEquals(4, LevelMapping.torchvision().level(0, 0, 224, 224, 2, 5));
    }

    @Test
    void log2IsExactForPowersOfTwo() {
        for (int e = -149; e < 128; e++) {
            assertEquals((float) e, LevelMapping.log2(Math.scalb(1f, e)), "2^" + e);
        }
        assertEquals(Float.NEGATIVE_INFINITY, LevelMapping.log2(0f));
        assertTrue(Float.isNaN(LevelMapping.log2(-1f)));
    }

    @Test
    void badArguments() {
        assertThrows(IllegalArgumentException.class, () -> LevelMapping.detectron2().level(0, 0, 1, 1, 5, 2));
        assertThrows(IllegalArgumentException.class, () -> LevelMapping.mmdetection(0));
        assertThrows(IllegalArgumentException.class, () -> LevelMapping.detectron2().levels(new float[3], 2, 5));
    }
}
