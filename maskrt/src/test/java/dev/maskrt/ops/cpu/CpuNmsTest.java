package dev.maskrt.ops.cpu;

import dev.maskrt.util.Workers;

import static dev.maskrt.ops.BoxGoldens.assertMessage;
import static org.junit.jupiter.api.Assertions.*;

import dev.maskrt.ops.BoxGoldens;
import dev.maskrt.ops.Nms;
import dev.maskrt.util.Npy;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class CpuNmsTest {
    private final Nms nms = new CpuNms();

    /** nms.npz: torchvision.ops.nms on edge cases (IoU at the threshold, ties, empty, zero-area, inverted) and random boxes. */
    @Test
    void nmsMatchesTorchvision() {
        Map<String, Map<String, Npy.Array>> cases = BoxGoldens.cases("nms.npz");
        assertEquals(26, cases.size());
        cases.forEach((name, c) -> assertArrayEquals(c.get("keep").asInts(),
                nms.nms(c.get("boxes").asFloats(), c.get("scores").asFloats(), c.get("threshold").scalar()), name));
    }

    /**
     * batched_nms.npz: torchvision's per-class path (vanilla) is the promise. Its final sort is not stable, so
     * among equal scores only the set and the score sequence must agree; maskrt orders ties by index. Where
     * torchvision's public batched_nms took the coordinate trick, maskrt must equal it unless the trick flipped a
     * decision, which the trick_differs cases show on purpose.
     */
    @Test
    void batchedNmsMatchesTorchvisionPerClassPath() {
        Map<String, Map<String, Npy.Array>> cases = BoxGoldens.cases("batched_nms.npz");
        assertEquals(13, cases.size());
        int trickDiffers = 0;
        for (var e : cases.entrySet()) {
            String name = e.getKey();
            Map<String, Npy.Array> c = e.getValue();
            float[] scores = c.get("scores").asFloats();
            int[] got = nms.batchedNms(c.get("boxes").asFloats(), scores, c.get("groups").asInts(), c.get("threshold").scalar());
            int[] vanilla = c.get("vanilla").asInts();
            assertSameUpToTieOrder(vanilla, got, scores, name);
            assertRankingOrder(got, scores, name);
            int[] trick = c.get("trick").asInts();
            int[] sortedTrick = trick.clone(), sortedVanilla = vanilla.clone();
            Arrays.sort(sortedTrick);
            Arrays.sort(sortedVanilla);
            if (name.startsWith("trick_differs")) {
                trickDiffers++;
                assertFalse(Arrays.equals(sortedTrick, sortedVanilla), name + " was meant to show the trick's rounding");
                assertFalse(Arrays.equals(trick, got), name);
            } else if (c.get("public_uses_vanilla").scalar() == 0) {
                assertArrayEquals(c.get("keep").asInts(), got, name + ": public batched_nms (coordinate trick)");
            }
        }
        assertEquals(4, trickDiffers);
    }

    /** topk.npz: torch.topk values exactly; indices equal torch's where the score is unique, else the stable order. */
    @Test
    void topKMatchesTorch() {
        BoxGoldens.cases("topk.npz").forEach((name, c) -> {
            float[] scores = c.get("scores").asFloats();
            int k = (int) c.get("k").scalar();
            int[] got = nms.topK(scores, k);
            assertArrayEquals(c.get("stable").asInts(), got, name + " stable order");
            float[] values = c.get("values").asFloats();
            int[] torchIndices = c.get("indices").asInts();
            for (int i = 0; i < k; i++) {
                assertEquals(values[i], scores[got[i]], 0f, name + " value " + i);
                final float v = values[i];
                long equal = 0;
                for (float s : scores) if (s == v) equal++;
                if (equal == 1) assertEquals(torchIndices[i], got[i], name + " index " + i);
            }
        });
        assertArrayEquals(new int[] {1, 0}, nms.topK(new float[] {0.5f, Float.NaN, 0.2f}, 2), "NaN ranks first, as in torch");
        assertArrayEquals(new int[] {2, 0, 1}, nms.topK(new float[] {1, 1, 3}, 10), "k above N gives all N");
    }

    /**
     * onnx_nms.npz: the ONNX NonMaxSuppression node tests. Per (batch, class): keep scores above score_threshold,
     * NMS, then the first max_output_boxes_per_class. flipped_coordinates is left out: ONNX normalises corner
     * order and torchvision does not.
     */
    @Test
    void reproducesOnnxNonMaxSuppressionNodeTests() {
        int checked = 0;
        for (var e : BoxGoldens.cases("onnx_nms.npz").entrySet()) {
            if (e.getKey().equals("flipped_coordinates")) continue;
            Map<String, Npy.Array> c = e.getValue();
            int[] boxShape = c.get("boxes").shape(), scoreShape = c.get("scores").shape();
            int batches = boxShape[0], boxesPerBatch = boxShape[1], classes = scoreShape[1];
            float[] allBoxes = c.get("boxes").asFloats(), allScores = c.get("scores").asFloats();
            boolean center = c.get("center_point_box").scalar() == 1;
            int maxOut = (int) c.get("max_output_boxes_per_class").scalar();
            double iou = c.get("iou_threshold").scalar();
            float scoreThreshold = (float) c.get("score_threshold").scalar();
            List<int[]> selected = new ArrayList<>();
            for (int b = 0; b < batches; b++) {
                for (int k = 0; k < classes; k++) {
                    List<Integer> candidates = new ArrayList<>();
                    for (int i = 0; i < boxesPerBatch; i++) {
                        if (allScores[(b * classes + k) * boxesPerBatch + i] > scoreThreshold) candidates.add(i);
                    }
                    float[] boxes = new float[4 * candidates.size()];
                    float[] scores = new float[candidates.size()];
                    for (int j = 0; j < candidates.size(); j++) {
                        int src = 4 * (b * boxesPerBatch + candidates.get(j));
                        float x = allBoxes[src], y = allBoxes[src + 1], p = allBoxes[src + 2], q = allBoxes[src + 3];
                        if (center) { // (x_centre, y_centre, width, height)
                            boxes[4 * j] = x - p / 2;
                            boxes[4 * j + 1] = y - q / 2;
                            boxes[4 * j + 2] = x + p / 2;
                            boxes[4 * j + 3] = y + q / 2;
                        } else {
                            System.arraycopy(allBoxes, src, boxes, 4 * j, 4);
                        }
                        scores[j] = allScores[(b * classes + k) * boxesPerBatch + candidates.get(j)];
                    }
                    int[] keep = nms.nms(boxes, scores, iou);
                    for (int j = 0; j < Math.min(maxOut, keep.length); j++) selected.add(new int[] {b, k, candidates.get(keep[j])});
                }
            }
            int[] want = c.get("selected").asInts();
            int[] got = selected.stream().flatMapToInt(Arrays::stream).toArray();
            assertArrayEquals(want, got, e.getKey());
            checked++;
        }
        assertEquals(8, checked);
    }

    @Test
    void handWorkedCases() {
        // A and B: inter 2, union 4 -> IoU exactly 0.5; C far away. Threshold 0.5 keeps all, 0.4 drops B.
        float[] boxes = {0, 0, 3, 1, 1, 0, 4, 1, 10, 10, 11, 11};
        float[] scores = {0.9f, 0.8f, 0.95f};
        assertArrayEquals(new int[] {2, 0, 1}, nms.nms(boxes, scores, 0.5));
        assertArrayEquals(new int[] {2, 0}, nms.nms(boxes, scores, 0.4));
        // B suppressed by A only within A's group
        assertArrayEquals(new int[] {2, 0, 1}, nms.batchedNms(boxes, scores, new int[] {0, 1, 0}, 0.4));
        assertArrayEquals(new int[] {2, 0}, nms.batchedNms(boxes, scores, new int[] {5, 5, 5}, 0.4));
        // a suppressed box suppresses nothing: A suppresses B, B would have suppressed C, C survives
        float[] chain = {0, 0, 10, 10, 3, 0, 13, 10, 6, 0, 16, 10};
        assertArrayEquals(new int[] {0, 2}, nms.nms(chain, new float[] {3, 2, 1}, 0.3));
    }

    /** Against a plain transcription of torchvision's CPU loop, on boxes full of inverted, zero-size and tied ones. */
    @Test
    void matchesPlainGreedyLoopOnAwkwardBoxes() {
        Random random = new Random(7);
        try (Workers two = new Workers(2)) {
            Nms parallel = new CpuNms(two);
            for (int round = 0; round < 6; round++) {
                int n = 600 + 500 * round;
                float[] boxes = new float[4 * n], scores = new float[n];
                for (int i = 0; i < n; i++) {
                    for (int j = 0; j < 4; j++) boxes[4 * i + j] = random.nextInt(40) + (round % 2 == 0 ? 0 : random.nextFloat());
                    scores[i] = random.nextInt(30) * (random.nextBoolean() ? 1 : -1) / 7f;
                }
                for (double t : new double[] {0, 0.1, 0.3, 0.5, 0.7, 0.99}) {
                    int[] want = plainGreedy(boxes, scores, t);
                    assertArrayEquals(want, nms.nms(boxes, scores, t), "round " + round + " threshold " + t);
                    assertArrayEquals(want, parallel.nms(boxes, scores, t), "2 threads, round " + round + " threshold " + t);
                }
            }
        }
    }

    /**
     * Nested boxes whose IoU (= area ratio) lies within a few ulps of the threshold: the area-window pruning
     * must never skip a pair that suppresses.
     */
    @Test
    void matchesPlainGreedyLoopWhereAreaRatioIsAtTheThreshold() {
        Random random = new Random(11);
        for (double t : new double[] {0.3, 0.5, 0.7, 0.9}) {
            int n = 2000;
            float[] boxes = new float[4 * n], scores = new float[n];
            for (int i = 0; i < n; i += 2) {
                float x = (i / 2 % 40) * 1000 + random.nextInt(500), y = (i / 2 / 40) * 1000 + random.nextInt(500), w = 1 + 300 * random.nextFloat(), h = 1 + 300 * random.nextFloat();
                float innerW = (float) (w * t), innerH = h;
                for (int ulps = random.nextInt(7) - 3; ulps != 0; ulps -= Integer.signum(ulps)) {
                    innerW = ulps > 0 ? Math.nextUp(innerW) : Math.nextDown(innerW);
                }
                boolean innerFirst = random.nextBoolean();
                float[] outer = {x, y, x + w, y + h}, inner = {x, y, x + innerW, y + innerH};
                System.arraycopy(innerFirst ? inner : outer, 0, boxes, 4 * i, 4);
                System.arraycopy(innerFirst ? outer : inner, 0, boxes, 4 * i + 4, 4);
                scores[i] = 1 - i / (float) n;
                scores[i + 1] = scores[i] - 0.1f / n;
            }
            int[] want = plainGreedy(boxes, scores, t);
            assertTrue(want.length > n / 2 && want.length < n, "the cases should straddle the threshold: " + want.length);
            assertArrayEquals(want, nms.nms(boxes, scores, t), "threshold " + t);
        }
    }

    @Test
    void resultsDoNotDependOnThreadCount() {
        Map<String, Npy.Array> c = BoxGoldens.cases("batched_nms.npz").get("random4000_g5_0.7");
        float[] boxes = c.get("boxes").asFloats(), scores = c.get("scores").asFloats();
        int[] groups = c.get("groups").asInts();
        int[] single = nms.nms(boxes, scores, 0.5);
        int[] singleBatched = nms.batchedNms(boxes, scores, groups, 0.5);
        for (int threads : new int[] {1, 2, 3}) {
            try (Workers w = new Workers(threads)) {
                Nms n = new CpuNms(w);
                assertArrayEquals(single, n.nms(boxes, scores, 0.5), threads + " threads");
                assertArrayEquals(singleBatched, n.batchedNms(boxes, scores, groups, 0.5), threads + " threads");
            }
        }
    }

    @Test
    void emptyInputGivesEmptyOutput() {
        assertEquals(0, nms.nms(new float[0], new float[0], 0.5).length);
        assertEquals(0, nms.batchedNms(new float[0], new float[0], new int[0], 0.5).length);
        assertEquals(0, nms.topK(new float[0], 5).length);
        assertEquals(0, nms.topK(new float[] {1, 2}, 0).length);
    }

    @Test
    void refusesBadArguments() {
        float[] two = {0, 0, 1, 1, 0, 0, 2, 2};
        float[] s = {1, 2};
        assertMessage("boxes", () -> nms.nms(new float[] {0, 0, 1, 1, 2}, new float[] {1}, 0.5));
        assertMessage("scores", () -> nms.nms(two, new float[] {1}, 0.5));
        assertMessage("boxes[5]", () -> nms.nms(new float[] {0, 0, 1, 1, 0, Float.NaN, 2, 2}, s, 0.5));
        assertMessage("boxes[2]", () -> nms.nms(new float[] {0, 0, Float.POSITIVE_INFINITY, 1, 0, 0, 2, 2}, s, 0.5));
        assertMessage("scores[1]", () -> nms.nms(two, new float[] {1, Float.NaN}, 0.5));
        assertMessage("iouThreshold", () -> nms.nms(two, s, -0.1));
        assertMessage("iouThreshold", () -> nms.nms(two, s, Double.NaN));
        assertMessage("groups", () -> nms.batchedNms(two, s, new int[] {1}, 0.5));
        assertMessage("iouThreshold", () -> nms.batchedNms(two, s, new int[] {1, 1}, -1));
        assertMessage("k", () -> nms.topK(s, -1));
        assertMessage("scores", () -> nms.topK(null, 1));
    }

    /** torchvision 0.14 nms_kernel_impl, transcribed as literally as Java allows (the test's reference only). */
    static int[] plainGreedy(float[] boxes, float[] scores, double threshold) {
        int n = scores.length;
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) order[i] = i;
        Arrays.sort(order, (a, b) -> scores[a] > scores[b] ? -1 : scores[a] < scores[b] ? 1 : 0); // stable
        float[] areas = new float[n];
        for (int i = 0; i < n; i++) areas[i] = (boxes[4 * i + 2] - boxes[4 * i]) * (boxes[4 * i + 3] - boxes[4 * i + 1]);
        boolean[] suppressed = new boolean[n];
        List<Integer> keep = new ArrayList<>();
        for (int oi = 0; oi < n; oi++) {
            int i = order[oi];
            if (suppressed[i]) continue;
            keep.add(i);
            for (int oj = oi + 1; oj < n; oj++) {
                int j = order[oj];
                if (suppressed[j]) continue;
                float xx1 = Math.max(boxes[4 * i], boxes[4 * j]);
                float yy1 = Math.max(boxes[4 * i + 1], boxes[4 * j + 1]);
                float xx2 = Math.min(boxes[4 * i + 2], boxes[4 * j + 2]);
                float yy2 = Math.min(boxes[4 * i + 3], boxes[4 * j + 3]);
                float w = Math.max(0f, xx2 - xx1);
                float h = Math.max(0f, yy2 - yy1);
                float inter = w * h;
                float ovr = inter / (areas[i] + areas[j] - inter);
                if (ovr > threshold) suppressed[j] = true;
            }
        }
        return keep.stream().mapToInt(Integer::intValue).toArray();
    }

    private static void assertSameUpToTieOrder(int[] want, int[] got, float[] scores, String name) {
        assertEquals(want.length, got.length, name + " kept count");
        int[] a = want.clone(), b = got.clone();
        Arrays.sort(a);
        Arrays.sort(b);
        assertArrayEquals(a, b, name + " kept set");
        for (int i = 0; i < want.length; i++) assertEquals(scores[want[i]], scores[got[i]], 0f, name + " score at " + i);
    }

    private static void assertRankingOrder(int[] got, float[] scores, String name) {
        for (int i = 1; i < got.length; i++) {
            float p = scores[got[i - 1]], q = scores[got[i]];
            assertTrue(p > q || (p == q && got[i - 1] < got[i]), name + " not in ranking order at " + i);
        }
    }
}
