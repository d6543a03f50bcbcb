package dev.maskrt.engine;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HostTensorTest {

    @Test
    void wrapSharesTheArray() {
        float[] values = {1, 2, 3, 4, 5, 6};
        HostTensor t = HostTensor.wrap(values, 2, 3);
        assertArrayEquals(new long[] {2, 3}, t.shape());
        assertEquals(2, t.rank());
        assertEquals(3, t.dim(1));
        assertEquals(6, t.size());
        assertFalse(t.isDirectNative());
        values[4] = 50;
        assertEquals(50, t.get(4));
        assertArrayEquals(new float[] {1, 2, 3, 4, 50, 6}, t.toArray());
    }

    @Test
    void allocateDirectIsZeroedNativeAndWritableThroughItsBuffer() {
        HostTensor t = HostTensor.allocateDirect(1, 2, 2);
        assertTrue(t.isDirectNative());
        assertArrayEquals(new float[4], t.toArray());
        FloatBuffer b = t.buffer();
        assertEquals(0, b.position());
        assertEquals(4, b.limit());
        b.put(new float[] {1, 2, 3, 4});
        assertArrayEquals(new float[] {1, 2, 3, 4}, t.toArray());
        assertEquals(0, t.buffer().position(), "each view starts at 0");
    }

    @Test
    void wrapBufferUsesItsRemainingValuesAndLeavesItsPosition() {
        FloatBuffer b = ByteBuffer.allocateDirect(6 * 4).order(ByteOrder.nativeOrder()).asFloatBuffer();
        b.put(new float[] {9, 1, 2, 3, 4, 9});
        b.position(1).limit(5);
        HostTensor t = HostTensor.wrap(b, 4);
        assertArrayEquals(new float[] {1, 2, 3, 4}, t.toArray());
        assertEquals(1, b.position());
        assertTrue(t.isDirectNative());
    }

    @Test
    void scalarsAndEmptyShapes() {
        HostTensor scalar = HostTensor.wrap(new float[] {7});
        assertEquals(0, scalar.rank());
        assertEquals(1, scalar.size());
        HostTensor empty = HostTensor.allocateDirect(0, 4, 7, 7);
        assertEquals(0, empty.size());
        assertArrayEquals(new float[0], empty.toArray());
        assertArrayEquals(new long[] {0, 4, 7, 7}, empty.shape());
    }

    @Test
    void badArgumentsAreRefusedByName() {
        assertMessage("values", () -> HostTensor.wrap((float[]) null, 1));
        assertMessage("buffer", () -> HostTensor.wrap((FloatBuffer) null, 1));
        assertMessage("shape", () -> HostTensor.allocateDirect((long[]) null));
        assertMessage("shape[1] must be >= 0", () -> HostTensor.allocateDirect(2, -1));
        assertMessage("buffer: 5 remaining values do not match shape [2, 3]",
                () -> HostTensor.wrap(new float[5], 2, 3));
        assertMessage("too many values", () -> HostTensor.allocateDirect(1 << 20, 1 << 20));
        assertMessage("axis 2", () -> HostTensor.allocateDirect(2, 3).dim(2));
    }

    @Test
    void shapeIsACopy() {
        long[] shape = {2, 2};
        HostTensor t = HostTensor.allocateDirect(shape);
        shape[0] = 5;
        t.shape()[1] = 9;
        assertArrayEquals(new long[] {2, 2}, t.shape());
    }

    private static void assertMessage(String part, org.junit.jupiter.api.function.Executable call) {
        IllegalArgumentException x = assertThrows(IllegalArgumentException.class, call);
        assertTrue(x.getMessage().contains(part), x.getMessage());
    }
}
