package dev.maskrt.output;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class CocoRleTest {

    // ---- hand-worked compressed strings (rleToString: 5-bit groups, +48, delta against the count two before) ----

    @Test
    void compressedStringsWorkedByHand() {
        // [5, 3, 2]: every count < 16 is one character '0' + count
        assertEquals("532", CocoRle.of(10, 1, new int[] {5, 3, 2}).toCompressedString());
        // [0, 40, 10, 50]: 40 = 8 + 1*32 -> '0'+(8|0x20) = 'X', then '1'; 10 -> ':'; 50 is stored as 50-40 = 10 -> ':'
        assertEquals("0X1::", CocoRle.of(100, 1, new int[] {0, 40, 10, 50}).toCompressedString());
        // [2, 10, 3, 4]: the last is stored as 4-10 = -6; -6 & 31 = 26 has the sign bit 0x10 set and -6 >> 5 == -1,
        // so it ends there: '0'+26 = 'J'
        assertEquals("2:3J", CocoRle.of(19, 1, new int[] {2, 10, 3, 4}).toCompressedString());
        // 16 needs two groups although it is < 32: 16 & 31 has the sign bit, so a continuation: '0'+(16|32)='`','0'
        assertEquals("`0", CocoRle.of(16, 1, new int[] {16}).toCompressedString());
        for (String s : new String[] {"532", "0X1::", "2:3J", "`0"}) {
            int n = s.equals("532") ? 10 : s.equals("0X1::") ? 100 : s.equals("2:3J") ? 19 : 16;
            assertEquals(s, CocoRle.fromCompressedString(s, n, 1).toCompressedString());
        }
        assertArrayEquals(new int[] {2, 10, 3, 4}, CocoRle.fromCompressedString("2:3J", 19, 1).counts());
    }

    @Test
    void badInputIsRefusedNamingTheArgument() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> CocoRle.of(2, 2, new int[] {1, 2}))
                .getMessage().startsWith("counts"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> CocoRle.of(2, 2, new int[] {5, -1}))
                .getMessage().startsWith("counts[1]"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> CocoRle.fromCompressedString("5~", 5, 1))
                .getMessage().startsWith("s:"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> CocoRle.fromCompressedString("X", 5, 1))
                .getMessage().startsWith("s:"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> CocoRle.fromCompressedString("5", 2, 2))
                .getMessage().startsWith("s:"));
        assertThrows(IllegalArgumentException.class, () -> CocoRle.merge(
                List.of(CocoRle.of(2, 2, new int[] {4}), CocoRle.of(1, 4, new int[] {4})), false));
        assertThrows(IllegalArgumentException.class, () -> CocoRle.fromBbox(new double[3], 4, 4));
    }

    @Test
    void emptyImagesAndEmptyLists() {
        CocoRle e = CocoRle.encodeRowMajor(new byte[0], 0, 5);
        assertArrayEquals(new int[] {0}, e.counts()); // rleEncode of 0 pixels: one zero-length run
        assertEquals("0", e.toCompressedString());
        assertEquals(0, e.area());
        assertArrayEquals(new double[4], e.toBbox());
        CocoRle m = CocoRle.merge(List.of(), false);
        assertEquals(0, m.height());
        assertEquals(0, m.runCount());
        assertEquals(0, CocoRle.iou(List.of(), List.of(e), new boolean[1]).length);
        assertEquals(0, CocoRle.iou(List.of(e), List.of(), null)[0].length);
        assertEquals(0, CocoRle.fromPolygons(List.of(), 3, 3).area());
        CocoRle blank = CocoRle.encode(CompactMask.empty(3, 4));
        assertArrayEquals(new int[] {12}, blank.counts());
        assertEquals(CompactMask.empty(3, 4), blank.toCompactMask());
    }

    @Test
    void encodeIsColumnMajorAndStartsWithZeros() {
        // 2 rows x 3 columns, row-major:  1 0 1 / 1 1 0  -> column-major 1 1 | 0 1 | 1 0
        byte[] img = {1, 0, 1, 1, 1, 0};
        CocoRle r = CocoRle.encodeRowMajor(img, 2, 3);
        assertArrayEquals(new int[] {0, 2, 1, 2, 1}, r.counts());
        assertEquals(4, r.area());
        assertArrayEquals(img, r.decodeRowMajor());
        // runs wrap from column 0 into column 2: rleToBbox's quirk makes the box full height anyway here
        assertArrayEquals(new double[] {0, 0, 3, 2}, r.toBbox());
    }

    @Test
    void toBboxKeepsThePycocotoolsQuirkForRunsThatCrossAColumn() {
        // 4 rows x 3 cols; set (x=0,y=3) and (x=1,y=0): one run crossing from column 0 into column 1.
        byte[] img = new byte[12];
        img[3 * 3 + 0] = 1;
        img[0 * 3 + 1] = 1;
        CocoRle r = CocoRle.encodeRowMajor(img, 4, 3);
        assertArrayEquals(new int[] {3, 2, 7}, r.counts());
        // the tight box would be y 0..3 anyway; make one where it is not: rows 1-2 of column 0 and 1
        byte[] img2 = new byte[12];
        img2[1 * 3] = img2[2 * 3] = img2[1 * 3 + 1] = img2[2 * 3 + 1] = 1;
        assertArrayEquals(new double[] {0, 1, 2, 2}, CocoRle.encodeRowMajor(img2, 4, 3).toBbox());
        // (x=0,y=3),(x=1,y=0),(x=1,y=1): tight box is the full height too; check a case that is not tight:
        byte[] img3 = new byte[5 * 3];
        img3[4 * 3 + 0] = 1; // x=0,y=4 (last row)
        img3[0 * 3 + 1] = 1; // x=1,y=0
        img3[2 * 3 + 2] = 1; // x=2,y=2
        CocoRle r3 = CocoRle.encodeRowMajor(img3, 5, 3);
        assertArrayEquals(new double[] {0, 0, 3, 5}, r3.toBbox());
        assertEquals(new CompactMask(5, 3, 0, 0, 3, 5, new byte[] {0, 1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0}),
                r3.toCompactMask());
    }

    // ---- polygons and boxes (rleFrPoly) ----

    @Test
    void integerBoxesRasteriseToTheirPixels() {
        // A box [x, y, w, h] with integer corners covers columns x..x+w-1 and rows y..y+h-1 (pixel centres inside).
        CocoRle r = CocoRle.fromBbox(new double[] {1, 2, 3, 2}, 6, 7);
        byte[] expect = new byte[6 * 7];
        for (int y = 2; y < 4; y++) for (int x = 1; x < 4; x++) expect[y * 7 + x] = 1;
        assertArrayEquals(expect, r.decodeRowMajor());
        assertEquals(6, r.area());
        assertArrayEquals(new double[] {1, 2, 3, 2}, r.toBbox());
    }

    @Test
    void polygonWithRepeatedVerticesEqualsThePolygonWithout() {
        double[] plain = {1.2, 1.1, 1.4, 7.9, 6.6, 6.3, 5.1, 0.7};
        double[] repeated = {1.2, 1.1, 1.2, 1.1, 1.4, 7.9, 6.6, 6.3, 6.6, 6.3, 6.6, 6.3, 5.1, 0.7, 1.2, 1.1};
        CocoRle a = CocoRle.fromPolygon(plain, 9, 8);
        assertEquals(a, CocoRle.fromPolygon(repeated, 9, 8));
        assertTrue(a.area() > 25 && a.area() < 35, "area " + a.area()); // shoelace area 29.06
        // a polygon of one point or of nothing is empty
        assertEquals(0, CocoRle.fromPolygon(new double[] {2, 2}, 5, 5).area());
        assertEquals(0, CocoRle.fromPolygon(new double[0], 5, 5).area());
    }

    @Test
    void polygonVerticesOutsideTheImageAreClipped() {
        // a box from (-3.3, -4) to (2, 2) covers the same pixels as one from (0, 0) to (2, 2)
        CocoRle clipped = CocoRle.fromPolygon(new double[] {-3.3, -4, -3.3, 2, 2, 2, 2, -4}, 5, 5);
        assertEquals(CocoRle.fromBbox(new double[] {0, 0, 2, 2}, 5, 5), clipped);
        // a box reaching past the right and bottom edges is clipped there
        CocoRle past = CocoRle.fromPolygon(new double[] {3, 3, 3, 40, 90, 40, 90, 3}, 5, 6);
        byte[] expect = new byte[5 * 6];
        for (int y = 3; y < 5; y++) for (int x = 3; x < 6; x++) expect[y * 6 + x] = 1;
        assertArrayEquals(expect, past.decodeRowMajor());
        // entirely outside: empty
        assertEquals(0, CocoRle.fromPolygon(new double[] {-9, -9, -9, -5, -5, -5}, 5, 5).area());
    }

    @Test
    void fromPolygonsIsTheUnion() {
        List<double[]> polys = List.of(new double[] {0, 0, 0, 2, 2, 2, 2, 0}, new double[] {1, 1, 1, 4, 4, 4, 4, 1});
        CocoRle u = CocoRle.fromPolygons(polys, 5, 5);
        assertEquals(4 + 9 - 1, u.area());
        assertEquals(CocoRle.merge(List.of(CocoRle.fromPolygon(polys.get(0), 5, 5),
                CocoRle.fromPolygon(polys.get(1), 5, 5)), false), u);
    }

    // ---- random masks against brute force on bitmaps ----

    private static byte[] randomMask(Random rnd, int h, int w) {
        byte[] m = new byte[h * w];
        int kind = rnd.nextInt(4);
        if (kind == 0) return m; // empty
        if (kind == 1) { // noise
            for (int i = 0; i < m.length; i++) m[i] = (byte) (rnd.nextInt(3) == 0 ? 1 : 0);
            return m;
        }
        int blobs = 1 + rnd.nextInt(3);
        for (int b = 0; b < blobs; b++) {
            int x0 = rnd.nextInt(w), y0 = rnd.nextInt(h);
            int x1 = x0 + rnd.nextInt(w - x0) + 1, y1 = y0 + rnd.nextInt(h - y0) + 1;
            for (int y = y0; y < y1; y++) for (int x = x0; x < x1; x++) m[y * w + x] = 1;
        }
        if (kind == 3) m[rnd.nextInt(m.length)] ^= 1;
        return m;
    }

    @Test
    void randomMasksMatchBruteForce() {
        Random rnd = new Random(1234);
        for (int trial = 0; trial < 400; trial++) {
            int h = 1 + rnd.nextInt(12), w = 1 + rnd.nextInt(12);
            byte[] a = randomMask(rnd, h, w), b = randomMask(rnd, h, w);
            CocoRle ra = CocoRle.encodeRowMajor(a, h, w), rb = CocoRle.encodeRowMajor(b, h, w);
            // encode straight from the compact mask gives the same runs
            assertEquals(ra, CocoRle.encode(CompactMask.fromFullBitmap(a, h, w)));
            assertArrayEquals(a, ra.decodeRowMajor());
            assertEquals(CompactMask.fromFullBitmap(a, h, w), ra.toCompactMask());
            assertEquals(ra, CocoRle.fromCompressedString(ra.toCompressedString(), h, w));
            long areaA = 0, areaB = 0, inter = 0, union = 0;
            byte[] or = new byte[h * w], and = new byte[h * w];
            for (int i = 0; i < h * w; i++) {
                areaA += a[i];
                areaB += b[i];
                or[i] = (byte) (a[i] | b[i]);
                and[i] = (byte) (a[i] & b[i]);
                inter += and[i];
                union += or[i];
            }
            assertEquals(areaA, ra.area());
            assertArrayEquals(or, CocoRle.merge(List.of(ra, rb), false).decodeRowMajor());
            assertArrayEquals(and, CocoRle.merge(List.of(ra, rb), true).decodeRowMajor());
            assertEquals(CocoRle.encodeRowMajor(or, h, w), CocoRle.merge(List.of(ra, rb), false));
            assertArrayEquals(bruteBbox(a, h, w), ra.toBbox(), "bbox trial " + trial);
            double[][] iou = CocoRle.iou(List.of(ra), List.of(rb, rb), new boolean[] {false, true});
            double plain = inter == 0 ? 0 : (double) inter / union;
            double crowd = inter == 0 ? 0 : (double) inter / areaA;
            assertEquals(plain, iou[0][0], 0.0, "iou trial " + trial);
            assertEquals(crowd, iou[0][1], 0.0, "crowd iou trial " + trial);
        }
    }

    /** The tight box, widened to the full height when a run of ones crosses a column (rleToBbox's rule). */
    private static double[] bruteBbox(byte[] m, int h, int w) {
        int minX = w, maxX = -1, minY = h, maxY = -1;
        boolean crosses = false;
        for (int x = 0; x < w; x++) {
            for (int y = 0; y < h; y++) {
                if (m[y * w + x] == 0) continue;
                minX = Math.min(minX, x);
                maxX = Math.max(maxX, x);
                minY = Math.min(minY, y);
                maxY = Math.max(maxY, y);
                if (y == h - 1 && x + 1 < w && m[x + 1] != 0) crosses = true;
            }
        }
        if (maxX < 0) return new double[4];
        if (crosses) {
            minY = 0;
            maxY = h - 1;
        }
        return new double[] {minX, minY, maxX - minX + 1, maxY - minY + 1};
    }

    @Test
    void bboxIouHandWorked() {
        // dt [0,0,2,2] vs gt [1,1,2,2]: intersection 1, union 4+4-1 = 7; crowd: 1/4
        double[][] o = CocoRle.bboxIou(List.of(new double[] {0, 0, 2, 2}), List.of(new double[] {1, 1, 2, 2},
                new double[] {1, 1, 2, 2}, new double[] {2, 0, 1, 1}), new boolean[] {false, true, false});
        assertEquals(1.0 / 7, o[0][0], 0.0);
        assertEquals(0.25, o[0][1], 0.0);
        assertEquals(0.0, o[0][2], 0.0); // touching edges do not overlap
    }

    @Test
    void iouOfDifferentSizesIsMinusOne() {
        CocoRle a = CocoRle.encodeRowMajor(new byte[] {1, 1, 1, 1}, 2, 2);
        CocoRle b = CocoRle.encodeRowMajor(new byte[] {1, 1, 1, 1, 0, 0}, 3, 2);
        assertEquals(-1.0, CocoRle.iou(List.of(a), List.of(b), null)[0][0], 0.0);
    }

    @Test
    void encodeOfLargeCompactMaskNeedsNoFullImage() {
        // 20000 x 20000 image (400 M pixels, never materialised) with a 3x2 mask
        CompactMask m = new CompactMask(20000, 20000, 19997, 5, 3, 2, new byte[] {1, 0, 1, 1, 1, 0});
        CocoRle r = CocoRle.encode(m);
        assertEquals(4, r.area());
        assertEquals(m, r.toCompactMask());
        // column 19997: rows 5,6 set; column 19998: row 6; column 19999: row 5
        assertArrayEquals(new int[] {19997 * 20000 + 5, 2, 19993 + 6, 1, 19993 + 5, 1, 19994}, r.counts());
    }
}
