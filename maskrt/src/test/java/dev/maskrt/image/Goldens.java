package dev.maskrt.image;

import dev.maskrt.util.Npy;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Map;

/** Access to src/test/resources/image (goldens written by tools/reference/make_image_goldens.py). */
final class Goldens {
    static final Path DIR = Path.of("src/test/resources/image");
    static final Path SARTORIUS = DIR.resolve("sartorius-0030fd0e6378.png");
    static final Path LIVECELL = DIR.resolve("livecell-A172_Phase_A7_1_00d00h00m_1.tif");
    static final Path JPEG = DIR.resolve("coco-img_1.jpg");

    private Goldens() {}

    static Map<String, Npy.Array> read(String name) {
        try {
            return Npy.readArchive(DIR.resolve(name));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static byte[] sha256(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(data);
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    /** Keeps one channel of an HWC image. */
    static byte[] channel(byte[] hwc, int channels, int c) {
        byte[] out = new byte[hwc.length / channels];
        for (int i = 0; i < out.length; i++) out[i] = hwc[i * channels + c];
        return out;
    }

    /** HWC RGB bytes -> BGR. */
    static byte[] swapRB(byte[] hwc) {
        byte[] out = hwc.clone();
        for (int i = 0; i < out.length; i += 3) {
            out[i] = hwc[i + 2];
            out[i + 2] = hwc[i];
        }
        return out;
    }
}
