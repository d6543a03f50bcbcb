package dev.maskrt.output;

import static org.junit.jupiter.api.Assertions.*;

import dev.maskrt.error.InputFormatException;
import dev.maskrt.util.Npy;
import java.io.InputStream;
import java.util.Map;
import org.junit.jupiter.api.Test;

class KaggleRleTest {
    /*
     * 3 rows x 4 columns:
     *   row 0: . # # .
     *   row 1: . . . #
     *   row 2: # . . .
     * Row-major numbers y*4 + x + 1: (1,0)=2, (2,0)=3 -> "2 2"; (3,1)=8 and (0,2)=9 touch across the row end,
     * so they form one run "8 2".                                          => "2 2 8 2"
     * Column-major numbers x*3 + y + 1: (0,2)=3 and (1,0)=4 touch across the column end -> "3 2"; (2,0)=7 -> "7 1";
     * (3,1)=11 -> "11 1".                                                  => "3 2 7 1 11 1"
     */
    private static final byte[] HAND = {0, 1, 1, 0, 0, 0, 0, 1, 1, 0, 0, 0};

    @Test
    void handWorkedBothOrders() {
        CompactMask m = CompactMask.fromFullBitmap(HAND, 3, 4);
        assertEquals("2 2 8 2", KaggleRle.encode(m, PixelOrder.ROW_MAJOR));
        assertEquals("3 2 7 1 11 1", KaggleRle.encode(m, PixelOrder.COLUMN_MAJOR));
        assertArrayEquals(HAND, KaggleRle.decode("2 2 8 2", 3, 4, PixelOrder.ROW_MAJOR).toFullBitmap());
        assertArrayEquals(HAND, KaggleRle.decode("3 2 7 1 11 1", 3, 4, PixelOrder.COLUMN_MAJOR).toFullBitmap());
    }

    @Test
    void boxOffsetIsApplied() {
        // 1x2 rectangle at column 3, row 2 of a 5-row x 6-column image, both set:
        // row-major 2*6+3+1 = 16 -> "16 2"; column-major 3*5+2+1 = 18 and 4*5+2+1 = 23 -> "18 1 23 1"
        CompactMask m = new CompactMask(5, 6, 3, 2, 2, 1, new byte[] {1, 1});
        assertEquals("16 2", KaggleRle.encode(m, PixelOrder.ROW_MAJOR));
        assertEquals("18 1 23 1", KaggleRle.encode(m, PixelOrder.COLUMN_MAJOR));
        CompactMask back = KaggleRle.decode("18 1 23 1", 5, 6, PixelOrder.COLUMN_MAJOR);
        assertEquals(m, back);
    }

    @Test
    void emptyMaskAndEmptyString() {
        assertEquals("", KaggleRle.encode(CompactMask.empty(4, 4), PixelOrder.ROW_MAJOR));
        assertEquals(0, KaggleRle.runs(new CompactMask(4, 4, 1, 1, 2, 2, new byte[4]), PixelOrder.COLUMN_MAJOR).length);
        assertEquals(0, KaggleRle.decode("", 4, 4, PixelOrder.ROW_MAJOR).area());
        assertEquals(0, KaggleRle.decode("  ", 4, 4, PixelOrder.COLUMN_MAJOR).area());
        assertEquals(0, KaggleRle.decode("", 0, 0, PixelOrder.COLUMN_MAJOR).area());
    }

    @Test
    void matchesNumpyEncoderOnGoldenCases() throws Exception {
        Map<String, Npy.Array> g;
        try (InputStream in = getClass().getResourceAsStream("/kaggle/rle_cases.npz")) {
            g = Npy.readArchive(in, "rle_cases.npz");
        }
        int count = (int) g.get("count").scalar();
        assertTrue(count >= 15);
        for (int i = 0; i < count; i++) {
            Npy.Array mask = g.get("mask_" + i);
            int h = mask.shape()[0], w = mask.shape()[1];
            byte[] full = mask.asBytes();
            CompactMask m = CompactMask.fromFullBitmap(full, h, w);
            int[] rows = g.get("rows_" + i).asInts(), cols = g.get("cols_" + i).asInts();
            assertArrayEquals(rows, KaggleRle.runs(m, PixelOrder.ROW_MAJOR), "row-major case " + i);
            assertArrayEquals(cols, KaggleRle.runs(m, PixelOrder.COLUMN_MAJOR), "column-major case " + i);
            // a loose rectangle (the whole image) must encode the same
            CompactMask loose = new CompactMask(h, w, 0, 0, w, h, full.clone());
            assertArrayEquals(rows, KaggleRle.runs(loose, PixelOrder.ROW_MAJOR), "loose row-major case " + i);
            assertArrayEquals(full, KaggleRle.decode(KaggleRle.format(rows), h, w, PixelOrder.ROW_MAJOR).toFullBitmap());
            assertArrayEquals(full, KaggleRle.decode(KaggleRle.format(cols), h, w, PixelOrder.COLUMN_MAJOR).toFullBitmap());
            assertEquals(m, KaggleRle.decode(KaggleRle.format(rows), h, w, PixelOrder.ROW_MAJOR), "tight rectangle " + i);
        }
    }

    @Test
    void rejectsMalformedRuns() {
        assertBad("1 2 3", "odd number of values");
        assertBad("0 1", "start 0 is not >= 1");
        assertBad("3 0", "length 0 is not >= 1");
        assertBad("12 2", "go past the image's 12 pixels");     // 3x4 image: pixels 1..12
        assertBad("5 2 6 1", "overlaps or precedes");            // 5..6 then 6
        assertBad("5 1 3 1", "overlaps or precedes");            // unsorted
        assertBad("a 1", "value 1 'a' is not an integer");
        assertBad("1 -2", "value 2 '-2' is not an integer");
        assertBad("1 99999999999", "is not an integer");
        assertEquals(1, KaggleRle.decode("12 1", 3, 4, PixelOrder.ROW_MAJOR).area()); // the last pixel is fine
    }

    @Test
    void rejectsBadArguments() {
        assertThrows(IllegalArgumentException.class, () -> KaggleRle.decode("1 1", -1, 4, PixelOrder.ROW_MAJOR));
        assertThrows(IllegalArgumentException.class, () -> KaggleRle.decode("1 1", 65536, 65536, PixelOrder.ROW_MAJOR));
        assertThrows(NullPointerException.class, () -> KaggleRle.encode(null, PixelOrder.ROW_MAJOR));
    }

    private static void assertBad(String rle, String expected) {
        InputFormatException e = assertThrows(InputFormatException.class,
                () -> KaggleRle.decode(rle, 3, 4, PixelOrder.ROW_MAJOR));
        assertTrue(e.getMessage().contains(expected), () -> "'" + e.getMessage() + "' lacks '" + expected + "'");
    }
}
