package dev.maskrt.image;

import static org.bytedeco.opencv.global.opencv_core.ROTATE_180;
import static org.bytedeco.opencv.global.opencv_core.ROTATE_90_CLOCKWISE;
import static org.bytedeco.opencv.global.opencv_core.ROTATE_90_COUNTERCLOCKWISE;
import static org.bytedeco.opencv.global.opencv_core.flip;
import static org.bytedeco.opencv.global.opencv_core.rotate;
import static org.bytedeco.opencv.global.opencv_core.transpose;

import java.nio.charset.StandardCharsets;
import org.bytedeco.opencv.opencv_core.Mat;

/**
 * The EXIF orientation of a JPEG (APP1 {@code Exif} segment) or PNG ({@code eXIf} chunk), and the transposition
 * detectron2's {@code read_image} applies for it ({@code detection_utils._apply_exif_orientation}: PIL's
 * {@code getexif()[0x0112]} mapped to {@code Image.transpose}: 2 FLIP_LEFT_RIGHT, 3 ROTATE_180, 4 FLIP_TOP_BOTTOM,
 * 5 TRANSPOSE, 6 ROTATE_270, 7 TRANSVERSE, 8 ROTATE_90; other values and other formats: none). Malformed EXIF data
 * counts as no orientation, as PIL's failure to read it does there. Stateless.
 */
final class ExifOrientation {
    private ExifOrientation() {}

    /** The orientation tag's value (1..8), or 0 when the file has none or it cannot be read. */
    static int of(byte[] file) {
        try {
            if (isJpeg(file)) return fromJpeg(file);
            if (isPng(file)) return fromPng(file);
        } catch (IndexOutOfBoundsException e) {
            return 0; // truncated or malformed metadata
        }
        return 0;
    }

    /** {@code image} turned as PIL's {@code transpose} turns it for {@code orientation}; the same Mat for 0, 1 or others. */
    static Mat apply(Mat image, int orientation) {
        Mat out = new Mat();
        switch (orientation) {
            case 2 -> flip(image, out, 1);                              // FLIP_LEFT_RIGHT
            case 3 -> rotate(image, out, ROTATE_180);
            case 4 -> flip(image, out, 0);                              // FLIP_TOP_BOTTOM
            case 5 -> transpose(image, out);                            // TRANSPOSE
            case 6 -> rotate(image, out, ROTATE_90_CLOCKWISE);          // PIL ROTATE_270 (counter-clockwise)
            case 7 -> {                                                  // TRANSVERSE: the anti-diagonal
                Mat t = new Mat();
                transpose(image, t);
                rotate(t, out, ROTATE_180);
            }
            case 8 -> rotate(image, out, ROTATE_90_COUNTERCLOCKWISE);   // PIL ROTATE_90
            default -> {
                return image;
            }
        }
        return out;
    }

    private static boolean isJpeg(byte[] f) {
        return f.length > 3 && (f[0] & 0xFF) == 0xFF && (f[1] & 0xFF) == 0xD8;
    }

    private static boolean isPng(byte[] f) {
        return f.length > 8 && (f[0] & 0xFF) == 0x89 && f[1] == 'P' && f[2] == 'N' && f[3] == 'G';
    }

    /** The first APP1 segment holding {@code Exif\0\0}, before the first scan. */
    private static int fromJpeg(byte[] f) {
        int p = 2;
        while (p + 4 <= f.length && (f[p] & 0xFF) == 0xFF) {
            int marker = f[p + 1] & 0xFF;
            if (marker == 0xDA || marker == 0xD9) return 0; // start of scan / end of image: no EXIF before
            int length = u16(f, p + 2, false);
            if (marker == 0xE1 && length >= 8 && new String(f, p + 4, 6, StandardCharsets.ISO_8859_1).equals("Exif\0\0")) {
                return fromTiff(f, p + 10, p + 2 + length);
            }
            p += 2 + length;
        }
        return 0;
    }

    /** The {@code eXIf} chunk (a TIFF structure), searched among the chunks before the image data's end. */
    private static int fromPng(byte[] f) {
        int p = 8;
        while (p + 8 <= f.length) {
            int length = (int) u32(f, p, false);
            String type = new String(f, p + 4, 4, StandardCharsets.ISO_8859_1);
            if (type.equals("eXIf")) return fromTiff(f, p + 8, p + 8 + length);
            if (type.equals("IEND") || length < 0) return 0;
            p += 12 + length;
        }
        return 0;
    }

    /** Tag 0x0112 of IFD0 of the TIFF structure in {@code f[start, end)}. */
    private static int fromTiff(byte[] f, int start, int end) {
        boolean little;
        if (f[start] == 'I' && f[start + 1] == 'I') little = true;
        else if (f[start] == 'M' && f[start + 1] == 'M') little = false;
        else return 0;
        if (u16(f, start + 2, little) != 42) return 0;
        int ifd = start + (int) u32(f, start + 4, little);
        if (ifd < start || ifd + 2 > end) return 0;
        int count = u16(f, ifd, little);
        for (int i = 0; i < count; i++) {
            int e = ifd + 2 + 12 * i;
            if (e + 12 > end) return 0;
            if (u16(f, e, little) == 0x0112) {
                int type = u16(f, e + 2, little);
                return type == 3 ? u16(f, e + 8, little) : type == 4 ? (int) u32(f, e + 8, little) : 0;
            }
        }
        return 0;
    }

    private static int u16(byte[] f, int p, boolean little) {
        int a = f[p] & 0xFF, b = f[p + 1] & 0xFF;
        return little ? a | b << 8 : a << 8 | b;
    }

    private static long u32(byte[] f, int p, boolean little) {
        long a = u16(f, p, little), b = u16(f, p + 2, little);
        return little ? a | b << 16 : a << 16 | b;
    }
}
