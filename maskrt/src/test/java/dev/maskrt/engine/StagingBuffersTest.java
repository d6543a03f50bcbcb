package dev.maskrt.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

class StagingBuffersTest {
    @Test
    void givesDirectNativeBuffersLimitedToTheRequestAndReusesThem() {
        StagingBuffers pool = new StagingBuffers();
        pool.engineOpened();
        ByteBuffer a = pool.take(1000);
        assertTrue(a.isDirect());
        assertEquals(ByteOrder.nativeOrder(), a.order());
        assertEquals(0, a.position());
        assertEquals(1000, a.limit());
        pool.give(a);
        ByteBuffer again = pool.take(2000); // rounded up when made, so a slightly larger input reuses it
        assertSame(a, again);
        assertEquals(2000, again.limit());
        ByteBuffer other = pool.take(3 << 20); // the only kept buffer is taken: a new one
        assertNotSame(a, other);
        pool.give(other);
        pool.give(again);
        assertSame(a, pool.take(10)); // the smallest that fits
        assertSame(other, pool.take(10));
    }

    @Test
    void keepsAtMostMaxKeptOfTheLargestAndDropsAllWhenTheLastEngineCloses() {
        StagingBuffers pool = new StagingBuffers();
        pool.engineOpened();
        pool.engineOpened();
        ByteBuffer[] taken = new ByteBuffer[StagingBuffers.MAX_KEPT + 1];
        for (int i = 0; i < taken.length; i++) taken[i] = pool.take((i + 1L) << 20);
        for (ByteBuffer b : taken) pool.give(b);
        long expected = 0;
        for (int i = 1; i < taken.length; i++) expected += taken[i].capacity(); // the smallest one was dropped
        assertEquals(expected, pool.keptBytes());
        pool.engineClosed();
        assertEquals(expected, pool.keptBytes());
        pool.engineClosed();
        assertEquals(0, pool.keptBytes());
        pool.give(pool.take(5)); // no engine open: nothing kept
        assertEquals(0, pool.keptBytes());
    }

    /**
     * Kept buffers of different capacities whose remaining bytes are equal are equal by {@code ByteBuffer.equals}
     * (it compares contents, not identity or capacity): taking the smaller must remove that very buffer from the
     * pool, so that two concurrent runs never get the same one (the bug: the pool removed by equality, i.e. the
     * larger buffer, left the one it handed out in the free list, and the next run took it too).
     */
    @Test
    void neverHandsOutABufferInUse() {
        StagingBuffers pool = new StagingBuffers();
        pool.engineOpened();
        ByteBuffer big = pool.take(3 << 20), small = pool.take(1 << 20);
        big.limit(4096);
        small.limit(4096); // both: 4096 zero bytes remaining
        pool.give(big);
        pool.give(small);
        ByteBuffer first = pool.take(4096);
        assertSame(small, first); // the smallest that fits
        ByteBuffer second = pool.take(4096);
        assertNotSame(first, second, "a buffer in use was handed out again");
        assertSame(big, second);
    }
}
