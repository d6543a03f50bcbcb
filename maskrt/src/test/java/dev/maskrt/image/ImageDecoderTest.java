package dev.maskrt.image;

import static org.junit.jupiter.api.Assertions.*;

import dev.maskrt.error.InputFormatException;
import dev.maskrt.util.Npy;
import java.awt.image.BufferedImage;
import java.awt.image.WritableRaster;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;
import javax.imageio.ImageIO;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Rect;
import org.bytedeco.opencv.global.opencv_imgcodecs;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageDecoderTest {
    private static final Map<String, Npy.Array> REAL = Goldens.read("resize_real.npz");

    @TempDir
    Path tmp;

    /** PIL's decode of a grayscale file, repeated to 3 channels, is what OpenCV gives in every channel. */
    private static void assertGrayMatchesPil(DecodedImage image, String name) {
        assertEquals(3, image.channels());
        assertEquals(8, image.bitDepth());
        byte[] gray = Goldens.channel(image.bytes(), 3, 0);
        assertArrayEquals(Goldens.channel(image.bytes(), 3, 1), gray);
        assertArrayEquals(Goldens.channel(image.bytes(), 3, 2), gray);
        assertArrayEquals(REAL.get(name + ".decoded_sha256").asBytes(), Goldens.sha256(gray), name + " differs from PIL");
    }

    @Test
    void grayscalePngIsExactlyPils() {
        DecodedImage image = ImageDecoder.bgr().decode(Goldens.SARTORIUS);
        assertEquals(520, image.height());
        assertEquals(704, image.width());
        assertGrayMatchesPil(image, "sartorius");
    }

    @Test
    void lzwTiffIsExactlyPils() {
        DecodedImage image = ImageDecoder.bgr().decode(Goldens.LIVECELL);
        assertEquals(520, image.height());
        assertEquals(704, image.width());
        assertGrayMatchesPil(image, "livecell");
    }

    /**
     * OpenCV's bundled libjpeg-turbo and Debian's (PIL's) decode this JPEG identically: both use the accurate integer
     * IDCT and fancy upsampling. The JPEG standard allows decoders to differ, so this documents the fact for these
     * builds rather than a guarantee.
     */
    @Test
    void jpegMatchesPilInRgbAndBgr() throws Exception {
        byte[] pilRgb = REAL.get("jpeg.decoded_rgb").asBytes();
        DecodedImage rgb = new ImageDecoder(ChannelFormat.RGB).decode(Goldens.JPEG);
        assertEquals(256, rgb.height());
        assertEquals(256, rgb.width());
        assertEquals(ChannelFormat.RGB, rgb.format());
        int differing = 0, maxDiff = 0;
        for (int i = 0; i < pilRgb.length; i++) {
            int d = Math.abs((pilRgb[i] & 0xFF) - (rgb.bytes()[i] & 0xFF));
            if (d != 0) differing++;
            maxDiff = Math.max(maxDiff, d);
        }
        assertEquals(0, differing, "samples differing from PIL (max difference " + maxDiff + ")");
        DecodedImage bgr = ImageDecoder.bgr().decode(Files.readAllBytes(Goldens.JPEG), "img_1.jpg");
        assertArrayEquals(Goldens.swapRB(pilRgb), bgr.bytes());
    }

    @Test
    void sixteenBitPngKeepsItsValues() throws Exception {
        BufferedImage img = new BufferedImage(5, 3, BufferedImage.TYPE_USHORT_GRAY);
        WritableRaster r = img.getRaster();
        int[] values = {0, 1, 255, 256, 65535, 40000, 12345, 2, 3, 4, 5, 6, 7, 8, 65534};
        r.setPixels(0, 0, 5, 3, values);
        Path file = tmp.resolve("gray16.png");
        assertTrue(ImageIO.write(img, "png", file.toFile()));
        DecodedImage image = ImageDecoder.bgr().decode(file);
        assertEquals(16, image.bitDepth());
        assertFalse(image.is8Bit());
        for (int i = 0; i < values.length; i++) {
            for (int c = 0; c < 3; c++) assertEquals(values[i], image.floats()[i * 3 + c], "pixel " + i);
        }
        DecodedImage viaJava = ImageDecoder.bgr().fromBufferedImage(img);
        assertEquals(16, viaJava.bitDepth());
        assertArrayEquals(image.floats(), viaJava.floats());
    }

    /**
     * detectron2's reader on 16-bit files (Pillow 9.4, {@code Image.open(f).convert("RGB")}), values printed by PIL
     * for files written by OpenCV: grey {0, 100, 255, 256, 1000, 65535} becomes {0, 100, 255, 255, 255, 255}; a
     * colour pixel B=1000, G=20000, R=65535 becomes R=255, G=78, B=3 (high bytes).
     */
    @Test
    void sixteenBitAsDetectron2ReadsIt() throws Exception {
        ImageDecoder d2 = ImageDecoder.bgr().asDetectron2Reads();
        org.bytedeco.opencv.opencv_core.Mat grey = new org.bytedeco.opencv.opencv_core.Mat(1, 6,
                org.bytedeco.opencv.global.opencv_core.CV_16UC1);
        short[] g = {0, 100, 255, 256, 1000, (short) 65535};
        new org.bytedeco.javacpp.ShortPointer(grey.data()).put(g);
        Path greyFile = tmp.resolve("grey16.png");
        assertTrue(org.bytedeco.opencv.global.opencv_imgcodecs.imwrite(greyFile.toString(), grey));
        DecodedImage gi = d2.decode(greyFile);
        assertTrue(gi.is8Bit());
        int[] expected = {0, 100, 255, 255, 255, 255};
        for (int i = 0; i < 6; i++) for (int c = 0; c < 3; c++) assertEquals(expected[i], gi.bytes()[i * 3 + c] & 0xFF);
        org.bytedeco.opencv.opencv_core.Mat colour = new org.bytedeco.opencv.opencv_core.Mat(1, 1,
                org.bytedeco.opencv.global.opencv_core.CV_16UC3);
        new org.bytedeco.javacpp.ShortPointer(colour.data()).put(new short[] {1000, 20000, (short) 65535});
        Path colourFile = tmp.resolve("colour16.png");
        assertTrue(org.bytedeco.opencv.global.opencv_imgcodecs.imwrite(colourFile.toString(), colour));
        DecodedImage ci = d2.decode(colourFile); // BGR order
        assertEquals(3, ci.bytes()[0] & 0xFF);
        assertEquals(78, ci.bytes()[1] & 0xFF);
        assertEquals(255, ci.bytes()[2] & 0xFF);
        assertEquals(16, ImageDecoder.bgr().decode(greyFile).bitDepth()); // the plain decoder keeps the values
    }

    /**
     * EXIF orientation as real detectron2 applies it: {@code read_image(file, "BGR")} of detectron2 v0.6 on PNGs with
     * an eXIf chunk (orientations 1..8) and a JPEG with orientation 6 (tools/reference/make_exif_goldens.py). PNG pixels
     * must be identical; the JPEG's may differ by the decoders' rounding (at most 2 here).
     */
    @Test
    void exifOrientationAsDetectron2ReadsIt() throws Exception {
        Path dir = Path.of("src/test/resources/image/exif");
        com.fasterxml.jackson.databind.JsonNode expected =
                new com.fasterxml.jackson.databind.ObjectMapper().readTree(dir.resolve("expected.json").toFile());
        ImageDecoder d2 = ImageDecoder.bgr().asDetectron2Reads();
        int files = 0;
        for (var it = expected.fields(); it.hasNext(); files++) {
            var e = it.next();
            DecodedImage image = d2.decode(dir.resolve(e.getKey()));
            com.fasterxml.jackson.databind.JsonNode rows = e.getValue();
            assertEquals(rows.size(), image.height(), e.getKey() + " height");
            assertEquals(rows.get(0).size(), image.width(), e.getKey() + " width");
            int tolerance = e.getKey().endsWith(".jpg") ? 2 : 0;
            for (int y = 0; y < image.height(); y++) {
                for (int x = 0; x < image.width(); x++) {
                    for (int c = 0; c < 3; c++) {
                        int want = rows.get(y).get(x).get(c).asInt();
                        int got = image.bytes()[(y * image.width() + x) * 3 + c] & 0xFF;
                        assertTrue(Math.abs(want - got) <= tolerance,
                                e.getKey() + " (" + y + ", " + x + ", " + c + "): " + got + " vs detectron2 " + want);
                    }
                }
            }
        }
        assertEquals(9, files);
        DecodedImage plain = ImageDecoder.bgr().decode(dir.resolve("orient-6.png")); // the plain decoder keeps the file's order
        assertEquals(3, plain.height());
        assertEquals(5, plain.width());
    }

    @Test
    void bgraPngDropsAlphaAndHonoursTheFormat() throws Exception {
        BufferedImage img = new BufferedImage(4, 2, BufferedImage.TYPE_INT_ARGB);
        Random rnd = new Random(5);
        for (int y = 0; y < 2; y++) for (int x = 0; x < 4; x++) img.setRGB(x, y, rnd.nextInt());
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        assertTrue(ImageIO.write(img, "png", png));
        DecodedImage bgr = ImageDecoder.bgr().decode(png.toByteArray(), "argb.png");
        DecodedImage rgb = new ImageDecoder(ChannelFormat.RGB).decode(png.toByteArray(), "argb.png");
        for (int y = 0; y < 2; y++) {
            for (int x = 0; x < 4; x++) {
                int p = img.getRGB(x, y), o = (y * 4 + x) * 3;
                assertEquals(p & 0xFF, bgr.bytes()[o] & 0xFF);
                assertEquals((p >> 8) & 0xFF, bgr.bytes()[o + 1] & 0xFF);
                assertEquals((p >> 16) & 0xFF, bgr.bytes()[o + 2] & 0xFF);
                assertEquals((p >> 16) & 0xFF, rgb.bytes()[o] & 0xFF);
                assertEquals(p & 0xFF, rgb.bytes()[o + 2] & 0xFF);
            }
        }
        assertArrayEquals(bgr.bytes(), ImageDecoder.bgr().fromBufferedImage(img).bytes());
        assertArrayEquals(rgb.bytes(), new ImageDecoder(ChannelFormat.RGB).fromBufferedImage(img).bytes());
    }

    @Test
    void fromMatReadsARegionOfInterest() {
        Mat full = opencv_imgcodecs.imread(Goldens.SARTORIUS.toString(), opencv_imgcodecs.IMREAD_UNCHANGED);
        try (Mat roi = new Mat(full, new Rect(10, 20, 30, 40))) {
            DecodedImage part = ImageDecoder.bgr().fromMat(roi, "roi");
            DecodedImage whole = ImageDecoder.bgr().decode(Goldens.SARTORIUS);
            assertEquals(40, part.height());
            assertEquals(30, part.width());
            for (int y = 0; y < 40; y++) {
                int from = ((20 + y) * 704 + 10) * 3;
                assertArrayEquals(Arrays.copyOfRange(whole.bytes(), from, from + 90),
                        Arrays.copyOfRange(part.bytes(), y * 90, y * 90 + 90));
            }
        } finally {
            full.close();
        }
    }

    @Test
    void grayBufferedImageIsReadWithoutColourConversion() {
        BufferedImage img = new BufferedImage(3, 2, BufferedImage.TYPE_BYTE_GRAY);
        img.getRaster().setPixels(0, 0, 3, 2, new int[] {0, 10, 100, 128, 200, 255});
        DecodedImage image = ImageDecoder.bgr().fromBufferedImage(img);
        assertEquals(8, image.bitDepth());
        assertArrayEquals(new byte[] {0, 0, 0, 10, 10, 10, 100, 100, 100, (byte) 128, (byte) 128, (byte) 128,
                (byte) 200, (byte) 200, (byte) 200, (byte) 255, (byte) 255, (byte) 255}, image.bytes());
    }

    private static void assertRefused(Path file, String problem) {
        InputFormatException e = assertThrows(InputFormatException.class, () -> ImageDecoder.bgr().decode(file));
        assertTrue(e.getMessage().startsWith(file.toString() + ": "), e.getMessage());
        assertTrue(e.getMessage().contains(problem), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
    }

    @Test
    void missingFileIsNamed() {
        assertRefused(tmp.resolve("nope.png"), "no such file");
    }

    @Test
    void emptyFileIsNamed() throws Exception {
        Path file = Files.write(tmp.resolve("empty.png"), new byte[0]);
        assertRefused(file, "empty file");
    }

    @Test
    void randomBytesAreRefused() throws Exception {
        byte[] junk = new byte[4096];
        new Random(1).nextBytes(junk);
        assertRefused(Files.write(tmp.resolve("junk.png"), junk), "cannot decode");
    }

    @Test
    void truncatedPngIsRefused() throws Exception {
        byte[] png = Files.readAllBytes(Goldens.SARTORIUS);
        for (int keep : new int[] {8, 100, png.length / 2, png.length - 20}) {
            Path file = Files.write(tmp.resolve("cut" + keep + ".png"), Arrays.copyOf(png, keep));
            assertRefused(file, "cannot decode");
        }
    }

    @Test
    void truncatedTiffIsRefused() throws Exception {
        byte[] tif = Files.readAllBytes(Goldens.LIVECELL);
        Path file = Files.write(tmp.resolve("cut.tif"), Arrays.copyOf(tif, tif.length / 2));
        assertRefused(file, "cannot decode");
    }

    @Test
    void truncatedJpegIsRefused() throws Exception {
        byte[] jpg = Files.readAllBytes(Goldens.JPEG);
        for (int keep : new int[] {2, 300, jpg.length / 2, jpg.length - 2}) {
            Path file = Files.write(tmp.resolve("cut" + keep + ".jpg"), Arrays.copyOf(jpg, keep));
            assertRefused(file, keep > 300 ? "truncated JPEG" : "cannot decode");
        }
        // trailing bytes after the end-of-image marker are harmless
        byte[] padded = Arrays.copyOf(jpg, jpg.length + 7);
        DecodedImage image = ImageDecoder.bgr().decode(padded, "padded.jpg");
        assertArrayEquals(ImageDecoder.bgr().decode(Goldens.JPEG).bytes(), image.bytes());
    }

    @Test
    void corruptPngDataIsRefused() throws Exception {
        byte[] png = Files.readAllBytes(Goldens.SARTORIUS);
        for (int i = 200; i < 2000; i++) png[i] ^= 0x5A; // inside the first IDAT chunk: CRC and zlib stream broken
        assertRefused(Files.write(tmp.resolve("bad.png"), png), "cannot decode");
    }

    @Test
    void directoryIsRefused() {
        assertRefused(tmp, "not a regular file (a directory)");
    }

    @Test
    void badArgumentsAreNamed() {
        assertThrows(IllegalArgumentException.class, () -> new ImageDecoder(null));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ImageDecoder.bgr().decode((Path) null));
        assertTrue(e.getMessage().contains("file"));
        e = assertThrows(IllegalArgumentException.class, () -> ImageDecoder.bgr().decode(null, "x"));
        assertTrue(e.getMessage().contains("encoded"));
        try (Mat empty = new Mat()) {
            InputFormatException f = assertThrows(InputFormatException.class,
                    () -> ImageDecoder.bgr().fromMat(empty, "cam0"));
            assertTrue(f.getMessage().startsWith("cam0: "));
        }
        assertEquals(ChannelFormat.RGB, ChannelFormat.parse("rgb"));
        e = assertThrows(IllegalArgumentException.class, () -> ChannelFormat.parse("YUV-BT.601"));
        assertTrue(e.getMessage().contains("format"));
    }
}
