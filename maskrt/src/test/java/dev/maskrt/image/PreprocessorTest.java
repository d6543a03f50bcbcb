package dev.maskrt.image;

import static org.junit.jupiter.api.Assertions.*;

import dev.maskrt.util.Workers;
import dev.maskrt.util.Npy;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class PreprocessorTest {
    private static final Map<String, Npy.Array> BATCH = Goldens.read("batch.npz");

    private static DecodedImage image(Npy.Array a, boolean eightBit) {
        int[] s = a.shape();
        return eightBit ? DecodedImage.ofBytes(s[0], s[1], s[2], ChannelFormat.BGR, a.asBytes())
                : DecodedImage.ofFloats(s[0], s[1], s[2], 16, ChannelFormat.BGR, a.asFloats());
    }

    /**
     * Two differently sized images through resize, (x - mean) / std and ImageList.from_tensors(32) in torch: the
     * batch equals bit for bit, padding included (0 after normalising), and the sizes match.
     */
    @ParameterizedTest
    @ValueSource(strings = {"u8_default", "u8_std", "u16"})
    void batchMatchesDetectron2(String key) {
        for (int threads = 1; threads <= 3; threads++) {
            try (Workers workers = new Workers(threads)) {
                int[] settings = BATCH.get(key + ".settings").asInts();
                Preprocessor p = new Preprocessor(ChannelFormat.BGR, BATCH.get(key + ".mean").asDoubles(),
                        BATCH.get(key + ".std").asDoubles(), new ResizeShortestEdge(settings[0], settings[1]),
                        settings[2], workers);
                boolean eightBit = key.startsWith("u8");
                List<DecodedImage> images = List.of(image(BATCH.get(key + ".img0"), eightBit),
                        image(BATCH.get(key + ".img1"), eightBit));
                PreprocessedBatch batch = p.preprocess(images);
                Npy.Array expected = BATCH.get(key + ".batch");
                int[] shape = expected.shape();
                assertArrayEquals(new long[] {shape[0], shape[1], shape[2], shape[3]}, batch.shape());
                assertEquals(0, batch.height() % 32);
                float[] want = expected.asFloats();
                float[] got = batch.data();
                assertEquals(want.length, got.length);
                for (int i = 0; i < want.length; i++) {
                    assertEquals(Float.floatToIntBits(want[i]), Float.floatToIntBits(got[i]),
                            key + " element " + i + ": " + want[i] + " vs " + got[i] + " (threads " + threads + ")");
                }
                int[] sizes = BATCH.get(key + ".sizes").asInts();
                for (int i = 0; i < 2; i++) {
                    ImageGeometry g = batch.image(i);
                    assertEquals(sizes[4 * i], g.resizedHeight());
                    assertEquals(sizes[4 * i + 1], g.resizedWidth());
                    assertEquals(sizes[4 * i + 2], g.originalHeight());
                    assertEquals(sizes[4 * i + 3], g.originalWidth());
                }
            }
        }
    }

    /** The Sartorius image at short 1040: resized with PIL, normalised with detectron2's BGR mean, padded to 1056. */
    @Test
    void sartoriusAt1040() {
        try (Workers two = new Workers(2)) {
            Preprocessor p = Preprocessor.detectron2Default(new ResizeShortestEdge(1040, 1408), two);
            DecodedImage image = ImageDecoder.bgr().decode(Goldens.SARTORIUS);
            PreprocessedBatch batch = p.preprocess(image);
            assertArrayEquals(new long[] {1, 3, 1056, 1408}, batch.shape());
            ImageGeometry g = batch.image(0);
            assertEquals(1040, g.resizedHeight());
            assertEquals(1408, g.resizedWidth());
            assertEquals(0.5, g.scaleX());
            assertEquals(0.5, g.scaleY());
            byte[] resized = new PilBilinearResize(two).resize(image, 1040, 1408).bytes();
            byte[] sha = Goldens.read("resize_real.npz").get("sartorius.s1040_sha256").asBytes();
            assertArrayEquals(sha, Goldens.sha256(resized));
            float[] data = batch.data();
            float[] mean = {103.53f, 116.28f, 123.675f};
            int plane = 1056 * 1408;
            for (int c = 0; c < 3; c++) {
                for (int y = 0; y < 1056; y += 7) {
                    for (int x = 0; x < 1408; x += 3) {
                        float want = y < 1040 ? (resized[(y * 1408 + x) * 3 + c] & 0xFF) - mean[c] : 0f;
                        assertEquals(want, data[c * plane + y * 1408 + x], "c " + c + " y " + y + " x " + x);
                    }
                }
            }
        }
    }

    /** Hand-worked: a 1x2 image, no resize, mean (1, 2, 3), std (2, 4, 8), divisibility 4 -> 4x4 slots. */
    @Test
    void handWorkedNormaliseAndPad() {
        try (Workers one = new Workers(1)) {
            Preprocessor p = new Preprocessor(ChannelFormat.RGB, new double[] {1, 2, 3}, new double[] {2, 4, 8},
                    new ResizeShortestEdge(0, ResizeShortestEdge.NO_MAX), 4, one);
            DecodedImage image = DecodedImage.ofBytes(1, 2, 3, ChannelFormat.RGB, new byte[] {5, 6, 7, (byte) 255, 0, 3});
            PreprocessedBatch batch = p.preprocess(image);
            assertArrayEquals(new long[] {1, 3, 4, 4}, batch.shape());
            float[] expected = new float[48];
            expected[0] = 2f;      // (5 - 1) / 2
            expected[1] = 127f;    // (255 - 1) / 2
            expected[16] = 1f;     // (6 - 2) / 4
            expected[17] = -0.5f;  // (0 - 2) / 4
            expected[32] = 0.5f;   // (7 - 3) / 8
            expected[33] = 0f;     // (3 - 3) / 8
            assertArrayEquals(expected, batch.data());
            assertEquals(1.0, batch.image(0).scaleX());
        }
    }

    /** Results do not depend on the thread count, on a large mixed batch. */
    @Test
    void threadCountDoesNotMatter() {
        DecodedImage sartorius = ImageDecoder.bgr().decode(Goldens.SARTORIUS);
        DecodedImage jpeg = ImageDecoder.bgr().decode(Goldens.JPEG);
        float[] first = null;
        for (int threads = 1; threads <= 3; threads++) {
            try (Workers workers = new Workers(threads)) {
                float[] data = Preprocessor.detectron2Default(new ResizeShortestEdge(910, 1408), workers)
                        .preprocess(List.of(sartorius, jpeg)).data();
                if (first == null) first = data;
                else assertArrayEquals(first, data, "threads " + threads);
            }
        }
    }

    @Test
    void emptyBatchAndBadInput() {
        try (Workers one = new Workers(1)) {
            Preprocessor p = Preprocessor.detectron2Default(new ResizeShortestEdge(800, 1333), one);
            PreprocessedBatch empty = p.preprocess(new ArrayList<>());
            assertEquals(0, empty.size());
            assertEquals(0, empty.data().length);
            List<DecodedImage> withNull = new ArrayList<>();
            withNull.add(DecodedImage.ofBytes(1, 1, 3, ChannelFormat.BGR, new byte[3]));
            withNull.add(null);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> p.preprocess(withNull));
            assertTrue(e.getMessage().startsWith("images[1]"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class,
                    () -> p.preprocess(DecodedImage.ofBytes(1, 1, 3, ChannelFormat.RGB, new byte[3])));
            assertTrue(e.getMessage().contains("format"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class,
                    () -> p.preprocess(DecodedImage.ofBytes(1, 1, 1, ChannelFormat.BGR, new byte[1])));
            assertTrue(e.getMessage().contains("3 channels"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class,
                    () -> p.preprocess(DecodedImage.ofBytes(0, 5, 3, ChannelFormat.BGR, new byte[0])));
            assertTrue(e.getMessage().contains("empty"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class,
                    () -> p.preprocess(DecodedImage.ofBytes(1, 5000, 3, ChannelFormat.BGR, new byte[15000])));
            assertTrue(e.getMessage().startsWith("images[0]: 1x5000 resizes to 0x1333"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> new Preprocessor(ChannelFormat.BGR,
                    new double[] {1, 2}, Preprocessor.DEFAULT_STD, new ResizeShortestEdge(1, 1), 32, one));
            assertTrue(e.getMessage().startsWith("pixelMean"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> new Preprocessor(ChannelFormat.BGR,
                    Preprocessor.DEFAULT_BGR_MEAN, new double[] {1, 0, 1}, new ResizeShortestEdge(1, 1), 32, one));
            assertTrue(e.getMessage().startsWith("pixelStd[1]"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> new Preprocessor(ChannelFormat.BGR,
                    Preprocessor.DEFAULT_BGR_MEAN, Preprocessor.DEFAULT_STD, new ResizeShortestEdge(1, 1), -1, one));
            assertTrue(e.getMessage().startsWith("sizeDivisibility"), e.getMessage());
        }
    }

    @Test
    void augmentationsResizeEachImageThenFlipIt() {
        java.util.Random rnd = new java.util.Random(3);
        byte[] px = new byte[13 * 29 * 3];
        rnd.nextBytes(px);
        DecodedImage image = DecodedImage.ofBytes(13, 29, 3, ChannelFormat.BGR, px);
        try (Workers workers = new Workers(2)) {
            Preprocessor p = Preprocessor.detectron2Default(new ResizeShortestEdge(8, 1000), workers);
            ResizeShortestEdge small = new ResizeShortestEdge(10, 20), large = new ResizeShortestEdge(16, 100);
            PreprocessedBatch batch = p.preprocess(List.of(image, image, image), List.of(new Augmentation(small, false),
                    new Augmentation(small, true), new Augmentation(large, false)));
            // 13x29 -> 10x22.3, over 20 on the long side -> 9x20; 16x36 for the large one
            assertEquals("ImageGeometry[13x29 -> 9x20]", batch.image(0).toString());
            assertEquals("ImageGeometry[13x29 -> 9x20]", batch.image(1).toString());
            assertEquals("ImageGeometry[13x29 -> 16x36]", batch.image(2).toString());
            assertEquals(32, batch.height());
            assertEquals(64, batch.width());
            PreprocessedBatch alone = p.preprocess(List.of(image), List.of(new Augmentation(small, false)));
            int h = batch.image(1).resizedHeight(), w = batch.image(1).resizedWidth();
            int bh = batch.height(), bw = batch.width(), ah = alone.height(), aw = alone.width();
            for (int c = 0; c < 3; c++) {
                for (int y = 0; y < bh; y++) {
                    for (int x = 0; x < bw; x++) {
                        float plain = y < h && x < w ? alone.data()[(c * ah + y) * aw + x] : 0f;
                        float flipped = y < h && x < w ? alone.data()[(c * ah + y) * aw + (w - 1 - x)] : 0f;
                        assertEquals(plain, batch.data()[((0 * 3 + c) * bh + y) * bw + x]);
                        assertEquals(flipped, batch.data()[((1 * 3 + c) * bh + y) * bw + x]);
                    }
                }
            }
            // the plain list call is the augmentation call with this pre-processor's resize and no flip
            assertArrayEquals(p.preprocess(List.of(image)).data(),
                    p.preprocess(List.of(image), List.of(new Augmentation(p.resize(), false))).data());
            assertThrows(IllegalArgumentException.class, () -> p.preprocess(List.of(image), List.of()));
        }
    }
}
