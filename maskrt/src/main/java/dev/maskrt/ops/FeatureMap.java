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
    private volatile float[] channelsLast;

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
     * The same values in NHWC order, index {@code ((n * height + y) * width + x) * channels + c}: one transposed
     * copy (as large as {@link #data()}), made on the first call (by {@code workers}) and kept with this map.
     * Thread-safe; do not modify the returned array.
     *
     * @param workers threads for the first call's transpose; not closed by this
     */
    public float[] channelsLast(Workers workers) {
        float[] t = channelsLast;
        if (t == null) {
            synchronized (this) {
                t = channelsLast;
                if (t == null) {
                    t = transposed(workers);
                    channelsLast = t;
                }
            }
        }
        return t;
    }

    /** Whether the NHWC copy of {@link #channelsLast} has been made already. Thread-safe. */
    public boolean hasChannelsLast() {
        return channelsLast != null;
    }

    private float[] transposed(Workers workers) {
        float[] t = new float[data.length];
        int plane = height * width;
        final int block = 16; // channels written together: one cache line of the output per pixel
        for (int n = 0; n < batch; n++) {
            int image = n * channels * plane;
            workers.parallelFor(plane, 2048, (from, to) -> {
                for (int c0 = 0; c0 < channels; c0 += block) {
                    int c1 = Math.min(channels, c0 + block);
                    for (int p = from; p < to; p++) {
                        int o = image + p * channels;
                        for (int c = c0; c < c1; c++) {
                            t[o + c] = data[image + c * plane + p];
                        }
                    }
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
