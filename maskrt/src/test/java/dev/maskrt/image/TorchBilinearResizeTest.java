package dev.maskrt.image;

import static org.junit.jupiter.api.Assertions.*;

import dev.maskrt.util.Workers;
import dev.maskrt.util.Npy;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class TorchBilinearResizeTest {
    private static final Map<String, Npy.Array> FLOAT = Goldens.read("resize_float.npz");

    /** 16-bit samples resized by torch F.interpolate on detectron2's channels-last view: equal bit for bit. */
    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3})
    void matchesTorchBitForBit(int threads) {
        try (Workers workers = new Workers(threads)) {
            TorchBilinearResize resize = new TorchBilinearResize(workers);
            int count = (int) FLOAT.get("count").scalar();
            assertTrue(count >= 10);
            for (int i = 0; i < count; i++) {
                Npy.Array src = FLOAT.get("case" + i + ".src"), dst = FLOAT.get("case" + i + ".dst");
                int[] s = src.shape(), d = dst.shape();
                float[] out = resize.resize(src.asFloats(), s[0], s[1], s[2], d[0], d[1]);
                float[] expected = dst.asFloats();
                for (int j = 0; j < expected.length; j++) {
                    assertEquals(Float.floatToIntBits(expected[j]), Float.floatToIntBits(out[j]),
                            "case " + i + " element " + j + ": " + expected[j] + " vs " + out[j]);
                }
            }
        }
    }

    /** Hand-worked: 1x2 -> 1x4, scale 0.5: source x = 0.5 * (o + 0.5) - 0.5 = -0.25 (clamped 0), 0.25, 0.75, 1.25. */
    @Test
    void handWorked() {
        try (Workers one = new Workers(1)) {
            float[] out = new TorchBilinearResize(one).resize(new float[] {0f, 100f}, 1, 2, 1, 1, 4);
            assertArrayEquals(new float[] {0f, 25f, 75f, 100f}, out);
        }
    }

    @Test
    void badArguments() {
        try (Workers one = new Workers(1)) {
            TorchBilinearResize resize = new TorchBilinearResize(one);
            assertEquals(0, resize.resize(new float[3], 1, 1, 3, 0, 0).length);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> resize.resize(new float[2], 1, 1, 3, 2, 2));
            assertTrue(e.getMessage().startsWith("src"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class,
                    () -> resize.resize(DecodedImage.ofBytes(1, 1, 3, ChannelFormat.BGR, new byte[3]), 2, 2));
            assertTrue(e.getMessage().startsWith("image"), e.getMessage());
        }
    }
}
