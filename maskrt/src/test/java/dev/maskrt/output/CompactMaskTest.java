package dev.maskrt.output;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

class CompactMaskTest {
    @Test
    void fullBitmapRoundTripCropsToTightRectangle() {
        int h = 5, w = 7;
        byte[] full = new byte[h * w];
        full[1 * w + 2] = 1;
        full[3 * w + 4] = 1;
        full[2 * w + 3] = 1;
        CompactMask m = CompactMask.fromFullBitmap(full, h, w);
        assertEquals(2, m.x());
        assertEquals(1, m.y());
        assertEquals(3, m.width());
        assertEquals(3, m.height());
        assertEquals(3, m.area());
        assertTrue(m.get(4, 3));
        assertFalse(m.get(3, 3));
        assertFalse(m.get(-1, 100));
        assertArrayEquals(full, m.toFullBitmap());
    }

    @Test
    void emptyBitmapGivesEmptyMask() {
        CompactMask m = CompactMask.fromFullBitmap(new byte[12], 3, 4);
        assertEquals(0, m.area());
        assertEquals(0, m.width());
        assertArrayEquals(new byte[12], m.toFullBitmap());
    }

    @Test
    void rectangleOutsideImageIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new CompactMask(4, 4, 2, 0, 3, 1, new byte[3]));
        assertTrue(e.getMessage().contains("does not lie inside"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new CompactMask(4, 4, 0, 0, 2, 2, new byte[3]));
    }
}
