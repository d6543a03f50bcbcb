package dev.maskrt.engine;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.FloatBuffer;
import org.junit.jupiter.api.Test;

class LeasedTensorTest {

    @Test
    void aLeasedTensorIsDirectAndItsRowsShareItsValues() {
        try (LeasedTensor t = LeasedTensor.take(3, 2, 2)) {
            assertEquals(12, t.size());
            FloatBuffer v = t.values();
            assertTrue(v.isDirect());
            assertEquals(0, v.position());
            assertEquals(12, v.limit());
            for (int i = 0; i < 12; i++) v.put(i, i);
            HostTensor whole = t.tensor();
            assertTrue(whole.isDirectNative(), "engines read it without a copy");
            assertArrayEquals(new long[] {3, 2, 2}, whole.shape());
            assertEquals(11f, whole.get(11));
            HostTensor rows = t.rows(1, 2);
            assertTrue(rows.isDirectNative());
            assertArrayEquals(new long[] {2, 2, 2}, rows.shape());
            assertArrayEquals(new float[] {4, 5, 6, 7, 8, 9, 10, 11}, rows.toArray());
            assertEquals(0, t.rows(3, 0).size());
            assertThrows(IllegalArgumentException.class, () -> t.rows(2, 2));
            assertThrows(IllegalArgumentException.class, () -> t.rows(-1, 1));
        }
    }

    /** A closed lease's buffer serves the next lease of its size (an odd size: no other kept buffer fits it). */
    @Test
    void closingReturnsTheBufferToThePool() {
        StagingBuffers.SHARED.engineOpened(); // the pool keeps buffers only while an engine is open
        try {
            LeasedTensor t = LeasedTensor.take(3, 3_200_000);
            t.values().put(9_599_999, 42f);
            t.close();
            t.close(); // idempotent
            assertThrows(IllegalStateException.class, t::values);
            try (LeasedTensor again = LeasedTensor.take(3, 3_200_000)) {
                assertEquals(42f, again.values().get(9_599_999), "the same memory, not zeroed");
            }
        } finally {
            StagingBuffers.SHARED.engineClosed();
        }
    }

    @Test
    void badShapesAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> LeasedTensor.take(-1, 3));
        assertThrows(IllegalArgumentException.class, () -> LeasedTensor.take(1 << 20, 1 << 20));
    }
}
