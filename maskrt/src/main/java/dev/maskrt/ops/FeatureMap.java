package dev.maskrt.ops;

import dev.maskrt.util.Workers;
import java.util.Objects;

/**
 * One feature map of a network: an NCHW {@code float} tensor plus the scale that maps image pixels onto it.
 *
 * <p>{@code data} holds {@code batch * channels * height * width} values, index
 * {@code ((n * channels + c) * height + y) * width + x}. {@code spatialScale} is {@code 1 / stride}: an image
 * coordinate {@code u} (pixels) lies at feature coordinate {@code u * spatialScale}; an FPN level {@code k} has
 * stride {@code 2^k} (p2: 0.25, p3: 0.125, ...).
 *
 * <p>Immutable by contract and therefore safe to share between threads: the constructor does not copy
 * {@code data} (feature maps are large), so the caller must not change the array afterwards, and
 * {@link #data()} returns that same array, which readers must not change either.
 */
public final class FeatureMap {
    private final float[] data;
    private final int batch;
    private final int channels;
    private final int height;
    private final int width;
    private final float spatialScale;
    private volatile float[][] pixels;

    /**
     * @param data NCHW values, length {@code batch * channels * height * width}; taken over, not copied
     * @param batch images, {@code >= 1}
     * @param channels channels, {@code >= 0}
     * @param height rows, {@code >= 1}
     * @param width columns, {@code >= 1}
     * @param spatialScale {@code 1 / stride}, finite and {@code > 0}
     * @throws IllegalArgumentException naming the argument that is out of range or does not match
     */
    public FeatureMap(float[] data, int batch, int channels, int height, int width, float spatialScale) {
        if (data == null) throw new IllegalArgumentException("data must not be null");
        Checks.atLeast("batch", batch, 1);
        Checks.atLeast("channels", channels, 0);
        Checks.atLeast("height", height, 1);
        Checks.atLeast("width", width, 1);
        if (!(spatialScale > 0) || !Float.isFinite(spatialScale)) {
            throw new IllegalArgumentException("spatialScale must be finite and > 0, got " + spatialScale);
        }
        Checks.length("data", data, (long) batch * channels * height * width);
        this.data = data;
        this.batch = batch;
        this.channels = channels;
        this.height = height;
        this.width = width;
        this.spatialScale = spatialScale;
    }

    /** The NCHW values (the array given to the constructor, not a copy; do not modify). */
    public float[] data() {
        return data;
    }

    /**
     * The same values pixel by pixel: array {@code (n * height + y) * width + x} holds the {@code channels} values
     * of that pixel (channels last, one array per pixel, so that loops over a pixel's channels index every array
     * alike and the JIT vectorises them). A copy as large as {@link #data()}, made on the first call (by
     * {@code workers}) and kept with this map. Thread-safe; do not modify the returned arrays.
     *
     * @param workers threads for the first call's copy; not closed by this
     */
    public float[][] pixels(Workers workers) {
        float[][] t = pixels;
        if (t == null) {
            synchronized (this) {
                t = pixels;
                if (t == null) {
                    t = transposed(workers);
                    pixels = t;
                }
            }
        }
        return t;
    }

    private float[][] transposed(Workers workers) {
        int plane = height * width;
        float[][] t = new float[batch * plane][];
        for (int n = 0; n < batch; n++) {
            int image = n * channels * plane;
            int first = n * plane;
            workers.parallelFor(plane, 2048, (from, to) -> {
                for (int p = from; p < to; p++) t[first + p] = new float[channels];
                for (int c = 0; c < channels; c++) {
                    int plane0 = image + c * plane;
                    for (int p = from; p < to; p++) t[first + p][c] = data[plane0 + p];
                }
            });
        }
        return t;
    }

    public int batch() {
        return batch;
    }

    public int channels() {
        return channels;
    }

    public int height() {
        return height;
    }

    public int width() {
        return width;
    }

    /** {@code 1 / stride}: multiply an image coordinate by this to get a feature-map coordinate. */
    public float spatialScale() {
        return spatialScale;
    }

    @Override
    public String toString() {
        return "FeatureMap[" + batch + "x" + channels + "x" + height + "x" + width + ", scale " + spatialScale + "]";
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) return true;
        if (!(o instanceof FeatureMap)) return false;
        FeatureMap f = (FeatureMap) o;
        return batch == f.batch && channels == f.channels && height == f.height && width == f.width
                && Float.compare(spatialScale, f.spatialScale) == 0 && java.util.Arrays.equals(data, f.data);
    }

    @Override
    public int hashCode() {
        return Objects.hash(batch, channels, height, width, spatialScale);
    }
}
