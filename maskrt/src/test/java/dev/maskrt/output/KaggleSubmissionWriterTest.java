package dev.maskrt.output;

import static org.junit.jupiter.api.Assertions.*;

import java.io.StringWriter;
import java.util.List;
import org.junit.jupiter.api.Test;

class KaggleSubmissionWriterTest {
    static final int H = 4, W = 6;

    /** An instance whose mask is the given (column, row) pixels of a 4x6 image. */
    static Instance inst(float score, int[]... pixels) {
        byte[] full = new byte[H * W];
        for (int[] p : pixels) full[p[1] * W + p[0]] = 1;
        return new Instance(0, "cell", score, 0, 0, W, H, CompactMask.fromFullBitmap(full, H, W));
    }

    static int[] px(int x, int y) { return new int[] {x, y}; }

    /*
     * A (0.9): row 1, columns 0..3.  B (0.8): row 1, columns 2..5 -> loses 2,3 to A, keeps (4,1),(5,1).
     * C (0.5): row 1 columns 1..4 (all taken) and (0,2) -> 1 free pixel < minPixels 2 -> dropped, claims nothing.
     * D (0.4): (0,2),(1,2) -> both free because C was dropped.
     * Row-major (y*6 + x + 1): A 7..10 -> "7 4"; B 11..12 -> "11 2"; D 13..14 -> "13 2".
     * Column-major (x*4 + y + 1): A columns 0..3 at row 1 -> 2, 6, 10, 14 -> "2 1 6 1 10 1 14 1";
     * B (4,1)=18, (5,1)=22 -> "18 1 22 1"; D (0,2)=3, (1,2)=7 -> "3 1 7 1".
     */
    static List<Instance> overlapping() {
        Instance a = inst(0.9f, px(0, 1), px(1, 1), px(2, 1), px(3, 1));
        Instance b = inst(0.8f, px(2, 1), px(3, 1), px(4, 1), px(5, 1));
        Instance c = inst(0.5f, px(1, 1), px(2, 1), px(3, 1), px(4, 1), px(0, 2));
        Instance d = inst(0.4f, px(0, 2), px(1, 2));
        return List.of(d, b, c, a); // any order in
    }

    @Test
    void sartoriusRowsResolveOverlapsByScore() throws Exception {
        StringWriter sw = new StringWriter();
        try (KaggleSubmissionWriter w = KaggleSubmissionWriter.sartorius(sw, 2)) {
            List<Instance> kept = w.write(new ImageInstances("abc", H, W, overlapping()));
            assertEquals(3, kept.size());
            assertEquals(List.of(0.9f, 0.8f, 0.4f), kept.stream().map(Instance::score).toList());
            assertEquals(2, kept.get(1).mask().area());
            w.write(new ImageInstances("empty", H, W, List.of()));
            assertEquals(4, w.rows());
        }
        assertEquals("id,predicted\nabc,7 4\nabc,11 2\nabc,13 2\nempty,\n", sw.toString());
    }

    @Test
    void columnMajorFormats() throws Exception {
        for (SubmissionFormat f : List.of(SubmissionFormat.DSB2018, SubmissionFormat.AIRBUS_SHIP)) {
            StringWriter sw = new StringWriter();
            try (KaggleSubmissionWriter w = new KaggleSubmissionWriter(sw, f, 2)) {
                w.write(new ImageInstances("x.jpg", H, W, overlapping()));
                w.write(new ImageInstances("noship.jpg", H, W, List.of()));
            }
            assertEquals("ImageId,EncodedPixels\nx.jpg,2 1 6 1 10 1 14 1\nx.jpg,18 1 22 1\nx.jpg,3 1 7 1\nnoship.jpg,\n",
                    sw.toString(), f.name());
        }
    }

    @Test
    void fullyCoveredInstanceIsDroppedEvenWithMinPixelsZero() {
        Instance a = inst(0.9f, px(0, 0), px(1, 0));
        Instance b = inst(0.3f, px(1, 0));
        List<Instance> kept = new NonOverlappingMasks().resolve(List.of(a, b), H, W, 0);
        assertEquals(1, kept.size());
        // the scratch bitmap is cleared between images: b alone keeps its pixel
        NonOverlappingMasks n = new NonOverlappingMasks();
        n.resolve(List.of(a), H, W, 1);
        assertEquals(1, n.resolve(List.of(b), H, W, 1).size());
    }

    @Test
    void rejectsBadInput() {
        assertThrows(IllegalArgumentException.class, () -> new ImageInstances("a,b", H, W, List.of()));
        assertThrows(IllegalArgumentException.class, () -> new ImageInstances("a", H + 1, W, List.of(inst(1f, px(0, 0)))));
        assertThrows(IllegalArgumentException.class, () -> inst(Float.NaN, px(0, 0)));
        assertThrows(IllegalArgumentException.class,
                () -> new Instance(0, "c", 1f, Float.NaN, 0, 2, 1, CompactMask.empty(H, W)));
        // an inverted box is accepted: maskrcnn-benchmark's inclusive boxes under one pixel wide have x1 < x0
        assertEquals(2f, new Instance(0, "c", 1f, 3, 0, 2, 1, CompactMask.empty(H, W)).x1());
    }
}
