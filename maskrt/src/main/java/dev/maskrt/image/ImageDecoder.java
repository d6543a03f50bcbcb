package dev.maskrt.image;

import static org.bytedeco.opencv.global.opencv_core.CV_16U;
import static org.bytedeco.opencv.global.opencv_core.CV_32F;
import static org.bytedeco.opencv.global.opencv_core.CV_8U;
import static org.bytedeco.opencv.global.opencv_core.CV_8UC1;
import static org.bytedeco.opencv.global.opencv_imgcodecs.IMREAD_UNCHANGED;
import static org.bytedeco.opencv.global.opencv_imgcodecs.imdecode;

import dev.maskrt.error.InputFormatException;
import java.awt.image.BufferedImage;
import java.awt.image.ComponentColorModel;
import java.awt.image.DirectColorModel;
import java.awt.image.Raster;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.javacpp.ShortPointer;
import org.bytedeco.opencv.opencv_core.Mat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decodes PNG, JPEG and TIFF (including LZW) images, 8- or 16-bit, grayscale, BGR or BGRA, with OpenCV's
 * {@code imdecode(IMREAD_UNCHANGED)}, into a {@link DecodedImage} with 3 channels in the model's channel order:
 * grayscale is repeated into 3 equal channels, alpha is dropped (not composited, like PIL's {@code convert("RGB")}),
 * and BGR becomes RGB when the format is {@link ChannelFormat#RGB}. 16-bit samples are kept as values 0..65535
 * ({@link DecodedImage#floats()}); 32-bit float TIFFs are kept as they are; the file's pixel order is kept (no EXIF
 * orientation). {@link #asDetectron2Reads()} (the predictor's decoder) instead gives what detectron2's reader gives:
 * EXIF orientation applied, 16-bit made 8-bit. Multi-page TIFFs give their first page.
 *
 * <p>JPEG: OpenCV's bundled libjpeg-turbo and PIL's libjpeg(-turbo) both use the accurate integer IDCT and fancy
 * chroma upsampling by default, so they normally agree bit for bit, but the JPEG standard does not fix the decoder's
 * output, so different libjpeg builds may differ by ±1 on some pixels. Lossless formats (PNG, TIFF) are exact.
 *
 * <p>Errors: every failure to read or decode (missing, unreadable, empty, truncated or corrupt file, unsupported
 * depth or channel count) throws the unchecked {@link InputFormatException}, whose one-line message names the file
 * (or the source name given for bytes) and the problem. libjpeg would decode a truncated JPEG, filling the missing
 * part with grey, so a JPEG whose last scan is not followed by an end-of-image marker is refused here (as PIL refuses
 * it by default); truncated PNG and TIFF files are refused by their decoders.
 *
 * <p>Native memory is released before each method returns. Stateless apart from the format: thread-safe.
 */
public final class ImageDecoder {
    /** The default largest file {@link #decode(Path)} reads: 1 GiB. */
    public static final long DEFAULT_MAX_FILE_BYTES = 1L << 30;

    private static final Logger LOG = LoggerFactory.getLogger(ImageDecoder.class);

    private final ChannelFormat format;
    private final long maxFileBytes;
    private final boolean asDetectron2;
    private final boolean exifOrientation;

    /** @param format the model's channel order (detectron2 {@code INPUT.FORMAT}); files up to 1 GiB */
    public ImageDecoder(ChannelFormat format) {
        this(format, DEFAULT_MAX_FILE_BYTES);
    }

    /**
     * @param format the model's channel order (detectron2 {@code INPUT.FORMAT})
     * @param maxFileBytes larger files are refused by {@link #decode(Path)} before they are read, {@code >= 1}
     * @throws IllegalArgumentException for a null format or {@code maxFileBytes < 1}
     */
    public ImageDecoder(ChannelFormat format, long maxFileBytes) {
        this(format, maxFileBytes, false, false);
    }

    private ImageDecoder(ChannelFormat format, long maxFileBytes, boolean asDetectron2, boolean exifOrientation) {
        if (format == null) throw new IllegalArgumentException("format must not be null");
        if (maxFileBytes < 1) throw new IllegalArgumentException("maxFileBytes must be >= 1, got " + maxFileBytes);
        this.format = format;
        this.maxFileBytes = maxFileBytes;
        this.asDetectron2 = asDetectron2;
        this.exifOrientation = exifOrientation;
    }

    /**
     * This decoder, but giving the pixels detectron2's reader gives ({@code detectron2.data.detection_utils
     * .read_image}: PIL, {@code _apply_exif_orientation}, then {@code convert("RGB")}; Pillow 9.4), which is what a
     * detectron2 model was trained and tested on, so the predictor decodes this way:
     * <ul>
     *   <li>a JPEG or PNG with an EXIF orientation tag is turned upright ({@link ExifOrientation});</li>
     *   <li>16-bit images become 8-bit: a grey sample {@code v} becomes {@code min(v, 255)} (PIL opens 16-bit grey as
     *       mode {@code I}/{@code I;16} and clips when converting), a colour sample its high byte {@code v >> 8} (PIL
     *       unpacks 16-bit RGB(A) PNGs as {@code RGB;16B}); one warning per such image, because grey values above
     *       255 are lost.</li>
     * </ul>
     */
    public ImageDecoder asDetectron2Reads() {
        return new ImageDecoder(format, maxFileBytes, true, true);
    }

    /**
     * As {@link #asDetectron2Reads()} but without the EXIF orientation: PIL's {@code Image.open(path).convert("RGB")}
     * alone, which is how maskrcnn-benchmark's datasets read images ({@code torchvision.datasets.CocoDetection}).
     */
    public ImageDecoder asPilConvertReads() {
        return new ImageDecoder(format, maxFileBytes, true, false);
    }

    /** A decoder for detectron2's default {@link ChannelFormat#BGR}. */
    public static ImageDecoder bgr() {
        return new ImageDecoder(ChannelFormat.BGR);
    }

    public ChannelFormat format() {
        return format;
    }

    /**
     * Reads and decodes an image file. Only regular files are opened (symbolic links are followed): a directory, FIFO,
     * device or socket is refused by its type before anything is read, and a file larger than the size limit is
     * refused before it is read.
     *
     * @throws InputFormatException naming {@code file} when it is missing, not a regular file, over the size limit,
     *     unreadable, empty or not a decodable image
     */
    public DecodedImage decode(Path file) {
        if (file == null) throw new IllegalArgumentException("file must not be null");
        byte[] content;
        try {
            BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class);
            if (!attributes.isRegularFile()) {
                throw new InputFormatException(file + ": not a regular file (" + kind(attributes)
                        + "); only image files are read");
            }
            if (attributes.size() > maxFileBytes) {
                throw new InputFormatException(file + ": file of " + attributes.size() + " bytes is larger than the "
                        + "limit of " + maxFileBytes + " bytes for an image file (raise it with --max-image-bytes or "
                        + "PredictorOptions.maxImageFileBytes)");
            }
            content = readAtMost(file, maxFileBytes);
        } catch (NoSuchFileException e) {
            throw new InputFormatException(file + ": no such file", e);
        } catch (AccessDeniedException e) {
            throw new InputFormatException(file + ": permission denied", e);
        } catch (IOException | OutOfMemoryError e) {
            throw new InputFormatException(file + ": cannot read: " + e, e);
        }
        return decode(content, file.toString());
    }

    private static String kind(BasicFileAttributes a) {
        if (a.isDirectory()) return "a directory";
        if (a.isOther()) return "a FIFO, device or socket";
        return "not a plain file";
    }

    /** The file's bytes; a file that grew past {@code limit} since its size was read is refused, not read whole. */
    private static byte[] readAtMost(Path file, long limit) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            byte[] content = in.readNBytes((int) Math.min(limit, Integer.MAX_VALUE - 8));
            if (in.read() >= 0) {
                throw new InputFormatException(file + ": file is larger than the limit of " + limit
                        + " bytes for an image file");
            }
            return content;
        }
    }

    /**
     * Decodes an encoded image (the content of a PNG, JPEG or TIFF file).
     *
     * @param encoded the file's bytes
     * @param source a name for the bytes (a file name, a URL), used in error messages
     * @throws InputFormatException naming {@code source} when the bytes are empty or not a decodable image
     */
    public DecodedImage decode(byte[] encoded, String source) {
        if (encoded == null) throw new IllegalArgumentException("encoded must not be null");
        String name = source == null ? "<bytes>" : source;
        if (encoded.length == 0) throw new InputFormatException(name + ": empty file");
        if (isTruncatedJpeg(encoded)) {
            throw new InputFormatException(name + ": truncated JPEG (no end-of-image marker after the last scan)");
        }
        try (PointerScope scope = new PointerScope()) {
            Mat buffer = new Mat(1, encoded.length, CV_8UC1, new BytePointer(encoded));
            Mat mat;
            try {
                mat = imdecode(buffer, IMREAD_UNCHANGED);
            } catch (RuntimeException e) {
                throw new InputFormatException(name + ": " + OpenCvMessages.decodeFailure(e.getMessage()), e);
            }
            if (mat == null || mat.empty()) {
                throw new InputFormatException(name + ": cannot decode image (not a PNG, JPEG or TIFF, or corrupt or"
                        + " truncated)");
            }
            if (asDetectron2 && exifOrientation) mat = ExifOrientation.apply(mat, ExifOrientation.of(encoded));
            return fromMat(mat, name);
        }
    }

    /** 16-bit samples as PIL's {@code convert("RGB")} gives them: grey clipped to 255, colour (and alpha) high bytes. */
    private static byte[] asPil8Bit(short[] samples, int channels, String name) {
        byte[] out = new byte[samples.length];
        boolean clipped = false;
        for (int i = 0; i < samples.length; i++) {
            int v = samples[i] & 0xFFFF;
            if (channels == 1) {
                clipped |= v > 255;
                out[i] = (byte) Math.min(v, 255);
            } else {
                out[i] = (byte) (v >>> 8);
            }
        }
        LOG.warn("{}: 16-bit image read as detectron2 reads it (PIL convert(\"RGB\")): {}", name, channels == 1
                ? (clipped ? "grey values above 255 clipped to 255; rescale it to 8 bits if that loses the content"
                        : "grey values all <= 255, kept") : "each colour sample's high byte kept");
        return out;
    }

    /**
     * Converts an OpenCV image: {@code CV_8U}, {@code CV_16U} or {@code CV_32F} with 1 (gray), 3 (BGR) or 4 (BGRA)
     * channels, as {@code imread} returns it. The Mat is only read; it may be a non-continuous region of interest.
     *
     * @param source a name for the image, used in error messages
     * @throws InputFormatException naming {@code source} for an empty Mat or an unsupported depth or channel count
     */
    public DecodedImage fromMat(Mat mat, String source) {
        if (mat == null) throw new IllegalArgumentException("mat must not be null");
        String name = source == null ? "<Mat>" : source;
        if (mat.empty()) throw new InputFormatException(name + ": empty image");
        if (mat.dims() != 2) throw new InputFormatException(name + ": expected a 2-D image, got " + mat.dims() + " dims");
        int h = mat.rows(), w = mat.cols(), c = mat.channels(), depth = mat.depth();
        if (c != 1 && c != 3 && c != 4) {
            throw new InputFormatException(name + ": unsupported channel count " + c + " (expected 1, 3 or 4)");
        }
        if (depth != CV_8U && depth != CV_16U && depth != CV_32F) {
            throw new InputFormatException(name + ": unsupported sample depth (OpenCV depth " + depth
                    + "; expected 8-bit, 16-bit unsigned or 32-bit float)");
        }
        try (PointerScope scope = new PointerScope()) {
            Mat m = mat.isContinuous() ? mat : mat.clone();
            int n = Math.multiplyExact(Math.multiplyExact(h, w), c);
            if (depth == CV_8U) {
                byte[] raw = new byte[n];
                m.data().get(raw);
                return DecodedImage.ofBytes(h, w, 3, format, toModelChannels(raw, h * w, c, true));
            }
            float[] raw = new float[n];
            if (depth == CV_16U) {
                short[] shorts = new short[n];
                new ShortPointer(m.data()).get(shorts);
                if (asDetectron2) {
                    return DecodedImage.ofBytes(h, w, 3, format, toModelChannels(asPil8Bit(shorts, c, name), h * w, c, true));
                }
                for (int i = 0; i < n; i++) raw[i] = shorts[i] & 0xFFFF;
            } else {
                new FloatPointer(m.data()).get(raw);
            }
            return DecodedImage.ofFloats(h, w, 3, depth == CV_16U ? 16 : 32, format,
                    toModelChannels(raw, h * w, c, true));
        }
    }

    /**
     * Converts a Java image. Gray, RGB(A) and BGR(A) rasters with 8- or 16-bit samples are read sample by sample, with
     * no colour-space conversion; indexed and other images go through {@link BufferedImage#getRGB} (8-bit sRGB).
     *
     * @throws IllegalArgumentException for a null image
     */
    public DecodedImage fromBufferedImage(BufferedImage image) {
        if (image == null) throw new IllegalArgumentException("image must not be null");
        int h = image.getHeight(), w = image.getWidth();
        Raster raster = image.getRaster();
        int bands = raster.getNumBands();
        int bits = raster.getSampleModel().getSampleSize(0);
        boolean direct = image.getColorModel() instanceof ComponentColorModel
                || image.getColorModel() instanceof DirectColorModel;
        int pixels = Math.multiplyExact(h, w);
        if (direct && (bands == 1 || bands == 3 || bands == 4) && (bits == 8 || bits == 16)) {
            // Raster bands are in colour-model order: gray, or R, G, B(, A).
            int[] samples = raster.getPixels(0, 0, w, h, (int[]) null);
            if (bits == 8) {
                byte[] raw = new byte[samples.length];
                for (int i = 0; i < raw.length; i++) raw[i] = (byte) samples[i];
                return DecodedImage.ofBytes(h, w, 3, format, toModelChannels(raw, pixels, bands, false));
            }
            if (asDetectron2) {
                short[] shorts = new short[samples.length];
                for (int i = 0; i < shorts.length; i++) shorts[i] = (short) samples[i];
                return DecodedImage.ofBytes(h, w, 3, format,
                        toModelChannels(asPil8Bit(shorts, bands, "<BufferedImage>"), pixels, bands, false));
            }
            float[] raw = new float[samples.length];
            for (int i = 0; i < raw.length; i++) raw[i] = samples[i];
            return DecodedImage.ofFloats(h, w, 3, 16, format, toModelChannels(raw, pixels, bands, false));
        }
        byte[] rgb = new byte[Math.multiplyExact(pixels, 3)];
        int[] row = new int[w];
        for (int y = 0; y < h; y++) {
            image.getRGB(0, y, w, 1, row, 0, w);
            for (int x = 0; x < w; x++) {
                int p = row[x], o = (y * w + x) * 3;
                rgb[o] = (byte) (p >> 16);
                rgb[o + 1] = (byte) (p >> 8);
                rgb[o + 2] = (byte) p;
            }
        }
        return DecodedImage.ofBytes(h, w, 3, format, toModelChannels(rgb, pixels, 3, false));
    }

    /** {@code raw}: gray, or 3/4 colour channels in BGR(A) order when {@code bgr}, else RGB(A). */
    private byte[] toModelChannels(byte[] raw, int pixels, int channels, boolean bgr) {
        boolean swap = bgr != (format == ChannelFormat.BGR);
        if (channels == 3 && !swap) return raw;
        byte[] out = new byte[pixels * 3];
        for (int p = 0, i = 0, o = 0; p < pixels; p++, i += channels, o += 3) {
            if (channels == 1) {
                out[o] = out[o + 1] = out[o + 2] = raw[i];
            } else {
                out[o] = raw[swap ? i + 2 : i];
                out[o + 1] = raw[i + 1];
                out[o + 2] = raw[swap ? i : i + 2];
            }
        }
        return out;
    }

    private float[] toModelChannels(float[] raw, int pixels, int channels, boolean bgr) {
        boolean swap = bgr != (format == ChannelFormat.BGR);
        if (channels == 3 && !swap) return raw;
        float[] out = new float[pixels * 3];
        for (int p = 0, i = 0, o = 0; p < pixels; p++, i += channels, o += 3) {
            if (channels == 1) {
                out[o] = out[o + 1] = out[o + 2] = raw[i];
            } else {
                out[o] = raw[swap ? i + 2 : i];
                out[o + 1] = raw[i + 1];
                out[o + 2] = raw[swap ? i : i + 2];
            }
        }
        return out;
    }

    /**
     * A JPEG (starting with the SOI marker FF D8 FF) whose last start-of-scan marker (FF DA) is not followed by an
     * end-of-image marker (FF D9). Entropy-coded data escapes every FF byte, so neither marker occurs inside a scan.
     */
    static boolean isTruncatedJpeg(byte[] data) {
        if (data.length < 3 || (data[0] & 0xFF) != 0xFF || (data[1] & 0xFF) != 0xD8 || (data[2] & 0xFF) != 0xFF) {
            return false;
        }
        int lastScan = -1, lastEnd = -1;
        for (int i = 0; i + 1 < data.length; i++) {
            if (data[i] == (byte) 0xFF) {
                int marker = data[i + 1] & 0xFF;
                if (marker == 0xDA) lastScan = i;
                else if (marker == 0xD9) lastEnd = i;
            }
        }
        return lastScan >= 0 && lastEnd < lastScan;
    }
}
