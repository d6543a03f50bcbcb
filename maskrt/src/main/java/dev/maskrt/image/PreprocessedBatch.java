package dev.maskrt.image;

import java.util.List;

/**
 * The network input for a batch of images: one NCHW float32 tensor ({@code size × channels × height × width},
 * row-major), each image normalised and placed at the top-left of its slot, the rest 0; plus each image's
 * {@link ImageGeometry}. {@code height} and {@code width} are the largest resized sides rounded up to a multiple of
 * the size divisibility (detectron2 {@code ImageList.from_tensors}). Immutable in contract (the array is shared):
 * safe to share between threads if no one modifies {@link #data()}.
 */
public final class PreprocessedBatch {
    private final float[] data;
    private final int channels, height, width;
    private final List<ImageGeometry> images;

    PreprocessedBatch(float[] data, int channels, int height, int width, List<ImageGeometry> images) {
        this.data = data;
        this.channels = channels;
        this.height = height;
        this.width = width;
        this.images = List.copyOf(images);
    }

    /** NCHW values, length {@code size() * channels() * height() * width()}. Shared, not copied. */
    public float[] data() { return data; }

    /** Number of images N (0 for an empty batch). */
    public int size() { return images.size(); }

    public int channels() { return channels; }

    /** Padded height of every slot in pixels (0 for an empty batch). */
    public int height() { return height; }

    /** Padded width of every slot in pixels (0 for an empty batch). */
    public int width() { return width; }

    /** The tensor shape {@code {N, C, H, W}}. */
    public long[] shape() { return new long[] {size(), channels, height, width}; }

    /** Sizes of image {@code i} (in input order). */
    public ImageGeometry image(int i) { return images.get(i); }

    /** Sizes of every image, in input order. */
    public List<ImageGeometry> images() { return images; }
}
