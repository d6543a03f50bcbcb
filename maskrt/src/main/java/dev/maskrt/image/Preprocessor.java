package dev.maskrt.image;

import dev.maskrt.util.Workers;
import java.util.ArrayList;
import java.util.List;

/**
 * detectron2's test-time pre-processing of decoded images into one padded network input: per image
 * {@link ResizeShortestEdge} (8-bit images with PIL's bilinear resize, {@link PilBilinearResize}; 16-bit and float
 * images with torch's, {@link TorchBilinearResize}), then {@code (x - mean) / std} per channel in float32 as torch
 * computes it, then the batch padded bottom/right with 0 (in normalised space, after normalising) to the largest
 * image rounded up to a multiple of {@code sizeDivisibility} (detectron2 {@code ImageList.from_tensors}).
 *
 * <p>Input images must have 3 channels in this pre-processor's {@link ChannelFormat} (as {@link ImageDecoder} yields
 * them); mean and std are given in that order. Thread-safe: every call allocates its own buffers; work is split over
 * the {@link Workers} so that results do not depend on the thread count.
 */
public final class Preprocessor {
    /** detectron2's default {@code MODEL.PIXEL_MEAN}, BGR order. */
    public static final double[] DEFAULT_BGR_MEAN = {103.53, 116.28, 123.675};
    /** detectron2's default {@code MODEL.PIXEL_STD}, BGR order. */
    public static final double[] DEFAULT_STD = {1.0, 1.0, 1.0};
    private static final int CHANNELS = 3;
    private static final int ROW_GRAIN = 16;

    private final ChannelFormat format;
    private final float[] mean, std;
    /**
     * {@code normalised[c][v] = (v - mean[c]) / std[c]} in float32 for every 8-bit value v (mmdetection's rule:
     * {@code float32((v - mean[c]) · (1 / std[c]))} with the product in double, mmcv's {@code imnormalize}).
     */
    private final float[][] normalised = new float[CHANNELS][256];
    private final ResizeShortestEdge resize;
    private final int sizeDivisibility;
    private final Workers workers;
    private final PilBilinearResize pil;
    private final TorchBilinearResize torch;

    /**
     * @param format the model's channel order (detectron2 {@code INPUT.FORMAT})
     * @param pixelMean 3 values in {@code format} order ({@code MODEL.PIXEL_MEAN}), rounded to float32 as torch does
     * @param pixelStd 3 values in {@code format} order ({@code MODEL.PIXEL_STD}), non-zero, rounded to float32
     * @param resize the test-time size rule ({@code INPUT.MIN_SIZE_TEST}, {@code INPUT.MAX_SIZE_TEST})
     * @param sizeDivisibility pad to a multiple of this ({@code backbone.size_divisibility}, 32 for FPN); 0 or 1 means
     *     no rounding
     * @param workers threads for resizing and normalising (not closed by this)
     */
    public Preprocessor(ChannelFormat format, double[] pixelMean, double[] pixelStd, ResizeShortestEdge resize,
            int sizeDivisibility, Workers workers) {
        if (format == null) throw new IllegalArgumentException("format must not be null");
        if (resize == null) throw new IllegalArgumentException("resize must not be null");
        if (workers == null) throw new IllegalArgumentException("workers must not be null");
        if (sizeDivisibility < 0) {
            throw new IllegalArgumentException("sizeDivisibility must be >= 0, got " + sizeDivisibility);
        }
        this.format = format;
        this.mean = toFloat3("pixelMean", pixelMean, false);
        this.std = toFloat3("pixelStd", pixelStd, true);
        for (int c = 0; c < CHANNELS; c++) {
            // mmcv imnormalize (mean, std float32 as mmdet's Normalize keeps them): cv2.subtract(img, mean) in
            // float32, then cv2.multiply(img, 1 / float64(std)), which OpenCV computes in double and rounds once
            double inverse = 1.0 / std[c];
            for (int v = 0; v < 256; v++) {
                normalised[c][v] = resize.isMmdetection() ? (float) ((v - mean[c]) * inverse) : (v - mean[c]) / std[c];
            }
        }
        this.resize = resize;
        this.sizeDivisibility = Math.max(sizeDivisibility, 1);
        this.workers = workers;
        this.pil = new PilBilinearResize(workers);
        this.torch = new TorchBilinearResize(workers);
    }

    /** detectron2's defaults: BGR, mean {@link #DEFAULT_BGR_MEAN}, std 1, size divisibility 32. */
    public static Preprocessor detectron2Default(ResizeShortestEdge resize, Workers workers) {
        return new Preprocessor(ChannelFormat.BGR, DEFAULT_BGR_MEAN, DEFAULT_STD, resize, 32, workers);
    }

    private static float[] toFloat3(String name, double[] values, boolean nonZero) {
        if (values == null) throw new IllegalArgumentException(name + " must not be null");
        if (values.length != CHANNELS) {
            throw new IllegalArgumentException(name + ": expected 3 values, got " + values.length);
        }
        float[] out = new float[CHANNELS];
        for (int c = 0; c < CHANNELS; c++) {
            out[c] = (float) values[c];
            if (!Float.isFinite(out[c]) || (nonZero && out[c] == 0f)) {
                throw new IllegalArgumentException(name + "[" + c + "] must be finite" + (nonZero ? " and non-zero" : "")
                        + ", got " + values[c]);
            }
        }
        return out;
    }

    public ChannelFormat format() { return format; }

    public ResizeShortestEdge resize() { return resize; }

    public int sizeDivisibility() { return sizeDivisibility; }

    /** Pre-processes one image into a batch of 1. */
    public PreprocessedBatch preprocess(DecodedImage image) {
        return preprocess(List.of(checkNotNull(image)));
    }

    private static DecodedImage checkNotNull(DecodedImage image) {
        if (image == null) throw new IllegalArgumentException("image must not be null");
        return image;
    }

    /**
     * Pre-processes images into one padded batch, in input order. An empty list gives an empty batch (N = 0).
     *
     * @throws IllegalArgumentException naming {@code images[i]} for a null or empty (0-pixel) image, one without 3
     *     channels or in another channel format, or one so elongated that a side resizes to 0 pixels
     */
    public PreprocessedBatch preprocess(List<DecodedImage> images) {
        if (images == null) throw new IllegalArgumentException("images must not be null");
        return preprocess(images, java.util.Collections.nCopies(images.size(), new Augmentation(resize, false)));
    }

    /**
     * Pre-processes images into one padded batch as {@link #preprocess(List)} does, image {@code i} resized and
     * maybe flipped as {@code augmentations[i]} says instead of by this pre-processor's resize (detectron2's
     * {@code DatasetMapperTTA}; the flip comes after the resize, and since normalising is per pixel, flipping the
     * normalised pixels is the same). The same image may appear several times.
     *
     * @throws IllegalArgumentException as {@link #preprocess(List)}, or when the lists differ in length or an
     *     augmentation is null
     */
    public PreprocessedBatch preprocess(List<DecodedImage> images, List<Augmentation> augmentations) {
        if (images == null) throw new IllegalArgumentException("images must not be null");
        if (augmentations == null || augmentations.size() != images.size()) {
            throw new IllegalArgumentException("augmentations must have one entry per image ("
                    + images.size() + "), got " + (augmentations == null ? null : augmentations.size()));
        }
        List<ImageGeometry> geometry = new ArrayList<>(images.size());
        int maxH = 0, maxW = 0;
        for (int i = 0; i < images.size(); i++) {
            DecodedImage image = images.get(i);
            String name = "images[" + i + "]";
            if (image == null) throw new IllegalArgumentException(name + " must not be null");
            if (image.height() < 1 || image.width() < 1) {
                throw new IllegalArgumentException(name + " is empty: " + image.height() + "x" + image.width());
            }
            if (image.channels() != CHANNELS) {
                throw new IllegalArgumentException(name + ": expected 3 channels, got " + image.channels());
            }
            if (image.format() != format) {
                throw new IllegalArgumentException(name + ": channel format " + image.format()
                        + " does not match the model's " + format);
            }
            if (augmentations.get(i) == null) throw new IllegalArgumentException("augmentations[" + i + "] must not be null");
            ResizeShortestEdge r = augmentations.get(i).resize();
            int[] size = r.outputSize(image.height(), image.width());
            if (size[0] < 1 || size[1] < 1) {
                throw new IllegalArgumentException(name + ": " + image.height() + "x" + image.width() + " resizes to "
                        + size[0] + "x" + size[1] + " at short edge " + r.shortEdge() + ", max " + r.maxSize());
            }
            geometry.add(new ImageGeometry(image.height(), image.width(), size[0], size[1]));
            maxH = Math.max(maxH, size[0]);
            maxW = Math.max(maxW, size[1]);
        }
        int height = roundUp(maxH), width = roundUp(maxW);
        long plane = (long) height * width;
        float[] data = new float[Math.toIntExact(images.size() * CHANNELS * plane)];
        for (int i = 0; i < images.size(); i++) {
            ImageGeometry g = geometry.get(i);
            int offset = (int) (i * CHANNELS * plane);
            writeImage(images.get(i), g.resizedHeight(), g.resizedWidth(), data, offset, height, width);
            if (augmentations.get(i).hflip()) flipHorizontally(data, offset, g.resizedHeight(), g.resizedWidth(), height, width);
        }
        return new PreprocessedBatch(data, CHANNELS, height, width, geometry);
    }

    /** Mirrors the {@code h × w} image (left-aligned in rows of {@code width}) in each channel of its slot. */
    private static void flipHorizontally(float[] data, int offset, int h, int w, int height, int width) {
        for (int c = 0; c < CHANNELS; c++) {
            for (int y = 0; y < h; y++) {
                int row = offset + c * height * width + y * width;
                for (int a = row, b = row + w - 1; a < b; a++, b--) {
                    float t = data[a];
                    data[a] = data[b];
                    data[b] = t;
                }
            }
        }
    }

    private int roundUp(int size) {
        return (int) (((long) size + sizeDivisibility - 1) / sizeDivisibility * sizeDivisibility);
    }

    private static boolean isGray(byte[] hwc) {
        for (int i = 0; i < hwc.length; i += CHANNELS) {
            if (hwc[i] != hwc[i + 1] || hwc[i] != hwc[i + 2]) return false;
        }
        return true;
    }

    private static byte[] firstChannel(byte[] hwc) {
        byte[] out = new byte[hwc.length / CHANNELS];
        for (int i = 0; i < out.length; i++) out[i] = hwc[i * CHANNELS];
        return out;
    }

    /** PIL's bilinear resize (detectron2, maskrcnn-benchmark), or OpenCV's (mmdetection's {@code mmcv.imresize}). */
    private byte[] resizeBytes(byte[] hwc, int height, int width, int channels, int h, int w) {
        return resize.isMmdetection() ? OpenCvBilinearResize.resize(hwc, height, width, channels, h, w)
                : pil.resize(hwc, height, width, channels, h, w);
    }

    /** Resizes one image and writes it normalised, CHW, into the slot at {@code offset} (padding stays 0). */
    private void writeImage(DecodedImage image, int h, int w, float[] data, int offset, int height, int width) {
        boolean same = h == image.height() && w == image.width();
        int plane = height * width;
        if (image.is8Bit() && !same && isGray(image.bytes())) {
            // Channels are filtered independently, so a grayscale image (3 equal channels) is resized once.
            byte[] gray = resizeBytes(firstChannel(image.bytes()), image.height(), image.width(), 1, h, w);
            workers.parallelFor(h, ROW_GRAIN, (from, to) -> {
                for (int c = 0; c < CHANNELS; c++) {
                    float[] lut = normalised[c];
                    for (int y = from; y < to; y++) {
                        int in = y * w, out = offset + c * plane + y * width;
                        for (int x = 0; x < w; x++) data[out + x] = lut[gray[in + x] & 0xFF];
                    }
                }
            });
        } else if (image.is8Bit()) {
            byte[] hwc = same ? image.bytes() : resizeBytes(image.bytes(), image.height(), image.width(), CHANNELS, h, w);
            workers.parallelFor(h, ROW_GRAIN, (from, to) -> {
                for (int c = 0; c < CHANNELS; c++) {
                    float[] lut = normalised[c];
                    for (int y = from; y < to; y++) {
                        int in = y * w * CHANNELS + c, out = offset + c * plane + y * width;
                        for (int x = 0; x < w; x++) data[out + x] = lut[hwc[in + x * CHANNELS] & 0xFF];
                    }
                }
            });
        } else {
            float[] hwc = same ? image.floats()
                    : torch.resize(image.floats(), image.height(), image.width(), CHANNELS, h, w);
            workers.parallelFor(h, ROW_GRAIN, (from, to) -> {
                for (int c = 0; c < CHANNELS; c++) {
                    float m = mean[c], s = std[c];
                    for (int y = from; y < to; y++) {
                        int in = y * w * CHANNELS + c, out = offset + c * plane + y * width;
                        for (int x = 0; x < w; x++) data[out + x] = (hwc[in + x * CHANNELS] - m) / s;
                    }
                }
            });
        }
    }
}
