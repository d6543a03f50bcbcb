package dev.maskrt.image;

import static org.junit.jupiter.api.Assertions.*;

import dev.maskrt.util.Workers;
import dev.maskrt.util.Npy;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class PilBilinearResizeTest {
    private static final Map<String, Npy.Array> SYNTHETIC = Goldens.read("resize_pil.npz");
    private static final Map<String, Npy.Array> REAL = Goldens.read("resize_real.npz");

    /** Every synthetic case (odd sizes, up/down, 1-pixel, extreme aspect, one axis only, 0/255) equals PIL bit for bit. */
    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3})
    void syntheticCasesMatchPilExactly(int threads) {
        try (Workers workers = new Workers(threads)) {
            PilBilinearResize resize = new PilBilinearResize(workers);
            int count = (int) SYNTHETIC.get("count").scalar();
            assertTrue(count >= 23);
            for (int i = 0; i < count; i++) {
                Npy.Array src = SYNTHETIC.get("case" + i + ".src"), dst = SYNTHETIC.get("case" + i + ".dst");
                int[] s = src.shape(), d = dst.shape();
                byte[] out = resize.resize(src.asBytes(), s[0], s[1], s[2], d[0], d[1]);
                assertArrayEquals(dst.asBytes(), out, "case " + i + ": " + s[0] + "x" + s[1] + "x" + s[2] + " -> "
                        + d[0] + "x" + d[1]);
            }
        }
    }

    /** The Sartorius image at the TTA short sides 650/780/910/1040 (max 1408), as detectron2 feeds it: BGR, 3 channels. */
    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3})
    void realImagesMatchPilExactly(int threads) {
        try (Workers workers = new Workers(threads)) {
            PilBilinearResize resize = new PilBilinearResize(workers);
            DecodedImage sartorius = ImageDecoder.bgr().decode(Goldens.SARTORIUS);
            for (int shortEdge : new int[] {650, 780, 910, 1040}) {
                int[] shape = REAL.get("sartorius.s" + shortEdge + "_shape").asInts();
                DecodedImage out = resize.resize(sartorius, shape[0], shape[1]);
                assertArrayEquals(REAL.get("sartorius.s" + shortEdge + "_sha256").asBytes(), Goldens.sha256(out.bytes()),
                        "sartorius at " + shortEdge);
                if (shortEdge == 650) {
                    assertArrayEquals(REAL.get("sartorius.s650").asBytes(), Goldens.channel(out.bytes(), 3, 0));
                }
            }
            for (String name : new String[] {"livecell", "jpeg"}) {
                DecodedImage image = ImageDecoder.bgr().decode(name.equals("jpeg") ? Goldens.JPEG : Goldens.LIVECELL);
                int[] shape = REAL.get(name + ".s800_shape").asInts();
                DecodedImage out = resize.resize(image, shape[0], shape[1]);
                assertArrayEquals(REAL.get(name + ".s800_sha256").asBytes(), Goldens.sha256(out.bytes()), name);
            }
        }
    }

    /**
     * Hand-worked: 1x2 -> 1x3 (upscale 2/3). Centres (0.5, 1.5, 2.5) * 2/3 = 1/3, 1, 5/3; triangle weights
     * (x + 0.5 - centre): out0 reads only pixel 0 (pixel 1 is outside the support [centre - 1, centre + 1) rounded),
     * out1 weighs both 0.5, out2 reads pixel 1 only. So 10, 50 -> 10, 30, 50.
     */
    @Test
    void handWorkedUpscale() {
        try (Workers one = new Workers(1)) {
            byte[] out = new PilBilinearResize(one).resize(new byte[] {10, 50}, 1, 2, 1, 1, 3);
            assertArrayEquals(new byte[] {10, 30, 50}, out);
        }
    }

    /**
     * Hand-worked: 1x4 -> 1x2, scale 2, support 2, taps scaled by 1/2. out0: centre 1, taps x = 0, 1, 2 with weights
     * 0.75, 0.75, 0.25 (/ 1.75): (0 * 0.75 + 100 * 0.75 + 200 * 0.25) / 1.75 = 71.4 -> 71. out1: centre 3, taps
     * x = 1, 2, 3 with weights 0.25, 0.75, 0.75: (100 * 0.25 + 200 * 0.75 + 44 * 0.75) / 1.75 = 118.9 -> 119.
     */
    @Test
    void handWorkedDownscale() {
        try (Workers one = new Workers(1)) {
            byte[] out = new PilBilinearResize(one).resize(new byte[] {0, 100, (byte) 200, 44}, 1, 4, 1, 1, 2);
            assertArrayEquals(new byte[] {71, 119}, out);
        }
    }

    @Test
    void emptyOutputAndBadArguments() {
        try (Workers one = new Workers(1)) {
            PilBilinearResize resize = new PilBilinearResize(one);
            assertEquals(0, resize.resize(new byte[12], 2, 2, 3, 0, 5).length);
            assertEquals(0, resize.resize(new byte[0], 0, 0, 3, 0, 0).length);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> resize.resize(new byte[0], 0, 4, 3, 2, 2));
            assertTrue(e.getMessage().startsWith("src"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> resize.resize(new byte[11], 2, 2, 3, 4, 4));
            assertTrue(e.getMessage().startsWith("src"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> resize.resize(new byte[12], 2, 2, 3, 4, 4, new byte[5]));
            assertTrue(e.getMessage().startsWith("dst"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> resize.resize(new byte[12], 2, 2, 3, -1, 4));
            assertTrue(e.getMessage().startsWith("newHeight"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> resize.resize(new byte[12], 2, 2, 0, 1, 4));
            assertTrue(e.getMessage().startsWith("channels"), e.getMessage());
            DecodedImage floats = DecodedImage.ofFloats(1, 1, 3, 16, ChannelFormat.BGR, new float[3]);
            e = assertThrows(IllegalArgumentException.class, () -> resize.resize(floats, 2, 2));
            assertTrue(e.getMessage().startsWith("image"), e.getMessage());
        }
    }
}
