package dev.maskrt.image;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

class ResizeShortestEdgeTest {
    /** 300 random and 30 chosen (h, w, short, max) from detectron2's get_output_shape in Python doubles. */
    @Test
    void matchesDetectron2() {
        int[] cases = Goldens.read("shortest_edge.npz").get("cases").asInts();
        assertTrue(cases.length / 6 > 300);
        for (int i = 0; i < cases.length; i += 6) {
            int h = cases[i], w = cases[i + 1], s = cases[i + 2], m = cases[i + 3];
            assertArrayEquals(new int[] {cases[i + 4], cases[i + 5]}, new ResizeShortestEdge(s, m).outputSize(h, w),
                    h + "x" + w + " short " + s + " max " + m);
        }
    }

    /** Hand-worked: Sartorius 520x704 at the TTA sizes, COCO 800/1333. */
    @Test
    void handWorked() {
        assertArrayEquals(new int[] {650, 880}, new ResizeShortestEdge(650, 1408).outputSize(520, 704));
        assertArrayEquals(new int[] {1040, 1408}, new ResizeShortestEdge(1040, 1408).outputSize(520, 704));
        // 910 / 520 = 1.75 -> 1232
        assertArrayEquals(new int[] {910, 1232}, new ResizeShortestEdge(910, 1408).outputSize(520, 704));
        // 480x640 -> 800x1066.67 -> 1067
        assertArrayEquals(new int[] {800, 1067}, new ResizeShortestEdge(800, 1333).outputSize(480, 640));
        // 1x5000: 800x4000000 exceeds 1333 -> scale 1333/4e6: 0.2666 -> 0 rows (detectron2 would give 0 too)
        assertArrayEquals(new int[] {0, 1333}, new ResizeShortestEdge(800, 1333).outputSize(1, 5000));
        // ties round up: 2x3 at short 3 -> 3 x 4.5 -> 5
        assertArrayEquals(new int[] {3, 5}, new ResizeShortestEdge(3, ResizeShortestEdge.NO_MAX).outputSize(2, 3));
        assertArrayEquals(new int[] {520, 704}, new ResizeShortestEdge(0, 1408).outputSize(520, 704));
        assertArrayEquals(new int[] {0, 0}, new ResizeShortestEdge(800, 1333).outputSize(0, 0));
    }

    @Test
    void badArguments() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new ResizeShortestEdge(-1, 5));
        assertTrue(e.getMessage().startsWith("shortEdge"));
        e = assertThrows(IllegalArgumentException.class, () -> new ResizeShortestEdge(5, 0));
        assertTrue(e.getMessage().startsWith("maxSize"));
        e = assertThrows(IllegalArgumentException.class, () -> new ResizeShortestEdge(5, 10).outputSize(-1, 3));
        assertTrue(e.getMessage().startsWith("height"));
    }
}
