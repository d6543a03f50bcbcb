package dev.maskrt.util;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

class NpyTest {
    /** npy_sample.npz was written by tools/reference/make_npy_sample.py with numpy.savez_compressed. */
    @Test
    void readsEveryDtypeOfTheSampleArchive() throws Exception {
        Map<String, Npy.Array> a = Npy.readArchive(Path.of("src/test/resources/util/npy_sample.npz"));
        assertArrayEquals(new int[] {2, 3}, a.get("f4").shape());
        assertArrayEquals(new float[] {0f, 0.5f, 1f, 1.5f, 2f, -3.25f}, a.get("f4").asFloats());
        assertArrayEquals(new double[] {1e-300, 2.5}, a.get("f8").asDoubles());
        assertArrayEquals(new int[] {-1, 7, 2147483647}, a.get("i4").asInts());
        assertArrayEquals(new int[] {-5, 9}, a.get("i8").asInts());
        assertArrayEquals(new byte[] {1, 0, 1}, a.get("b1").asBytes());
        assertArrayEquals(new byte[] {0, (byte) 255}, a.get("u1").asBytes());
        assertEquals(0, a.get("scalar").shape().length);
        assertEquals(4.0, a.get("scalar").scalar());
        assertEquals(0, a.get("empty").size());
    }
}
