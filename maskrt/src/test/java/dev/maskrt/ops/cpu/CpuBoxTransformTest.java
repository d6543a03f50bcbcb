package dev.maskrt.ops.cpu;

import dev.maskrt.util.Workers;

import static dev.maskrt.ops.BoxGoldens.assertMessage;
import static org.junit.jupiter.api.Assertions.*;

import dev.maskrt.ops.BoxGoldens;
import dev.maskrt.ops.BoxTransform;
import dev.maskrt.util.Npy;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CpuBoxTransformTest {
    private final BoxTransform transform = new CpuBoxTransform();

    /**
     * deltas.npz: detectron2 apply_deltas in torch. Everything but exp is reproduced bit for bit; torch's
     * vectorised exp may be 1 ulp off the correctly rounded one, which moves a coordinate by at most about
     * 2 ulp of the half size plus 1 ulp of the result.
     */
    @Test
    void applyDeltasMatchesDetectron2() {
        Map<String, Map<String, Npy.Array>> cases = BoxGoldens.cases("deltas.npz");
        assertEquals(8, cases.size());
        int exact = 0, total = 0;
        for (var e : cases.entrySet()) {
            Map<String, Npy.Array> c = e.getValue();
            float[] out = transform.applyDeltas(c.get("deltas").asFloats(), c.get("boxes").asFloats(),
                    c.get("weights").asFloats(), (float) c.get("scale_clamp").scalar());
            float[] want = c.get("out").asFloats();
            assertEquals(want.length, out.length, e.getKey());
            for (int i = 0; i < want.length; i++) {
                total++;
                if (Float.compare(want[i], out[i]) == 0) {
                    exact++;
                    continue;
                }
                String where = e.getKey() + " [" + i / 4 + "][" + i % 4 + "]: want " + want[i] + " got " + out[i];
                assertTrue(Float.isFinite(want[i]) && Float.isFinite(out[i]), where);
                int box = i - i % 4, axis = i % 2;
                float half = Math.abs(want[box + 2 + axis] - want[box + axis]) / 2;
                double tolerance = 2 * Math.ulp(half) + Math.ulp(Math.abs(want[i]));
                assertTrue(Math.abs(want[i] - out[i]) <= tolerance, where);
            }
        }
        assertTrue(exact > total * 0.9, "only " + exact + " of " + total + " coordinates are bit-exact");
    }

    @Test
    void handWorkedDecode() {
        // box (10, 20, 50, 80): w 40, h 60, centre (30, 50); dx 0.5 -> centre x 50; dw ln 2 -> width 80
        float ln2 = (float) Math.log(2);
        float[] out = transform.applyDeltas(new float[] {0.5f, 0, ln2, 0}, new float[] {10, 20, 50, 80}, new float[] {1, 1, 1, 1});
        assertArrayEquals(new float[] {10, 20, 90, 80}, out, 1e-4f);
        // dw far above the clamp behaves as dw = ln(1000/16): width 40 * 62.5
        float[] clamped = transform.applyDeltas(new float[] {0, 0, 1e6f, 0}, new float[] {10, 20, 50, 80}, new float[] {1, 1, 1, 1});
        assertEquals(2500, clamped[2] - clamped[0], 1e-2);
    }

    @Test
    void clipAndNonEmptyMatchDetectron2() {
        Map<String, Map<String, Npy.Array>> cases = BoxGoldens.cases("clip.npz");
        int checked = 0;
        for (var e : cases.entrySet()) {
            Map<String, Npy.Array> c = e.getValue();
            if (e.getKey().equals("finite")) {
                int[] keep = transform.finite(c.get("boxes").asFloats(), c.get("scores").asFloats());
                assertArrayEquals(c.get("keep").asInts(), keep, "finite");
                checked++;
                continue;
            }
            float[] boxes = c.get("boxes").asFloats();
            int[] size = c.get("size").asInts();
            transform.clip(boxes, size[0], size[1]);
            // == compares -0 and +0 as equal: torch's clamp keeps the sign of zero in some code paths only
            float[] want = c.get("clipped").asFloats();
            for (int i = 0; i < want.length; i++) assertTrue(want[i] == boxes[i], e.getKey() + " [" + i + "]");
            for (int t = 0; t < 3; t++) {
                float threshold = (float) c.get("nonempty" + t + "_threshold").scalar();
                assertArrayEquals(c.get("nonempty" + t).asInts(), transform.nonEmpty(boxes, threshold), e.getKey() + " nonempty " + threshold);
            }
            checked++;
        }
        assertEquals(4, checked);
    }

    @Test
    void resultsDoNotDependOnThreadCount() {
        Map<String, Npy.Array> c = BoxGoldens.cases("deltas.npz").get("random_w10");
        float[] deltas = c.get("deltas").asFloats(), boxes = c.get("boxes").asFloats(), weights = c.get("weights").asFloats();
        // 3000 boxes repeated to exceed the parallel grain several times
        float[] manyDeltas = new float[deltas.length * 20], manyBoxes = new float[boxes.length * 20];
        for (int r = 0; r < 20; r++) {
            System.arraycopy(deltas, 0, manyDeltas, r * deltas.length, deltas.length);
            System.arraycopy(boxes, 0, manyBoxes, r * boxes.length, boxes.length);
        }
        float[] single = new CpuBoxTransform().applyDeltas(manyDeltas, manyBoxes, weights);
        for (int threads : new int[] {1, 2, 3}) {
            try (Workers w = new Workers(threads)) {
                CpuBoxTransform t = new CpuBoxTransform(w);
                assertArrayEquals(single, t.applyDeltas(manyDeltas, manyBoxes, weights), 0f, threads + " threads");
                float[] clipped = single.clone();
                t.clip(clipped, 800, 1344);
                float[] reference = single.clone();
                new CpuBoxTransform().clip(reference, 800, 1344);
                assertArrayEquals(reference, clipped, 0f);
            }
        }
    }

    @Test
    void emptyInputGivesEmptyOutput() {
        assertEquals(0, transform.applyDeltas(new float[0], new float[0], new float[] {1, 1, 1, 1}).length);
        transform.clip(new float[0], 10, 10);
        assertEquals(0, transform.nonEmpty(new float[0], 0).length);
        assertEquals(0, transform.finite(new float[0], new float[0]).length);
    }

    @Test
    void refusesBadArguments() {
        float[] one = {0, 0, 1, 1};
        float[] w = {1, 1, 1, 1};
        assertMessage("deltas", () -> transform.applyDeltas(new float[] {1, 2, 3}, new float[] {1, 2, 3}, w));
        assertMessage("boxes", () -> transform.applyDeltas(one, new float[8], w));
        assertMessage("weights", () -> transform.applyDeltas(one, one, new float[] {1, 1, 1}));
        assertMessage("weights[2]", () -> transform.applyDeltas(one, one, new float[] {1, 1, 0, 1}));
        assertMessage("scaleClamp", () -> transform.applyDeltas(one, one, w, Float.NaN));
        assertMessage("boxes[1]", () -> transform.clip(new float[] {0, Float.NaN, 1, 1}, 5, 5));
        assertMessage("boxes", () -> transform.clip(new float[] {0, 0, 1, 1, 2}, 5, 5));
        assertMessage("imageWidth", () -> transform.clip(one.clone(), 5, -1));
        assertMessage("threshold", () -> transform.nonEmpty(one, -1f));
        assertMessage("threshold", () -> transform.nonEmpty(one, Float.NaN));
        assertMessage("scores", () -> transform.finite(one, new float[2]));
    }
}
