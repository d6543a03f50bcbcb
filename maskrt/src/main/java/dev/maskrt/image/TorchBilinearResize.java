package dev.maskrt.image;

import dev.maskrt.util.Workers;

/**
 * torch's {@code F.interpolate(mode="bilinear", align_corners=False)} (no antialias) on float images, the way
 * detectron2 resizes non-uint8 (e.g. 16-bit) images; bit-exact with torch 1.13's CPU kernel on the channels-last
 * view detectron2 passes it. Per axis: {@code scale = (float) in / out}; source index
 * {@code max(scale * (o + 0.5) - 0.5, 0)} in double; {@code lambda1 = (float) (index - floor)},
 * {@code lambda0 = 1 - lambda1} in float; a side that keeps its size is copied. Per pixel the four float weights
 * {@code h_i * w_j} (float products) are summed with the samples in double and rounded once to float.
 *
 * <p>Images are HWC float arrays (interleaved channels, row-major). Rows are split over the {@link Workers} in fixed
 * ranges, each output row written by one task, so the result does not depend on the thread count. Thread-safe.
 */
public final class TorchBilinearResize {
    private static final int ROW_GRAIN = 8;

    private final Workers workers;

    /** @param workers threads for the row loop (not closed by this) */
    public TorchBilinearResize(Workers workers) {
        if (workers == null) throw new IllegalArgumentException("workers must not be null");
        this.workers = workers;
    }

    /** Resizes a 16-bit or float image to {@code newHeight × newWidth}, keeping its channels, depth and format. */
    public DecodedImage resize(DecodedImage image, int newHeight, int newWidth) {
        if (image == null) throw new IllegalArgumentException("image must not be null");
        if (image.is8Bit()) throw new IllegalArgumentException("image: expected 16-bit or float samples, got " + image);
        float[] out = resize(image.floats(), image.height(), image.width(), image.channels(), newHeight, newWidth);
        return DecodedImage.ofFloats(newHeight, newWidth, image.channels(), image.bitDepth(), image.format(), out);
    }

    /** Resizes {@code src} (HWC) to a new array of {@code newHeight × newWidth × channels}. */
    public float[] resize(float[] src, int height, int width, int channels, int newHeight, int newWidth) {
        ResizeChecks.checkOutputSize(newHeight, newWidth);
        float[] dst = new float[Math.multiplyExact(Math.multiplyExact(newHeight, newWidth), channels)];
        resize(src, height, width, channels, newHeight, newWidth, dst);
        return dst;
    }

    /**
     * Resizes {@code src} ({@code height × width × channels}, HWC) into {@code dst}, whose length must be
     * {@code newHeight * newWidth * channels}. Sizes of 0 give an empty result; an empty source with a non-empty
     * output is refused.
     */
    public void resize(float[] src, int height, int width, int channels, int newHeight, int newWidth, float[] dst) {
        if (!ResizeChecks.check(src, src == null ? 0 : src.length, dst, dst == null ? 0 : dst.length, height, width,
                channels, newHeight, newWidth)) {
            return;
        }
        Axis rows = new Axis(height, newHeight), cols = new Axis(width, newWidth);
        int inRow = width * channels, outRow = newWidth * channels;
        workers.parallelFor(newHeight, ROW_GRAIN, (from, to) -> {
            for (int oy = from; oy < to; oy++) {
                int r0 = rows.index0[oy] * inRow, r1 = rows.index1[oy] * inRow;
                float h0 = rows.lambda0[oy], h1 = rows.lambda1[oy];
                int out = oy * outRow;
                for (int ox = 0; ox < newWidth; ox++) {
                    int c0 = cols.index0[ox] * channels, c1 = cols.index1[ox] * channels;
                    float w0 = cols.lambda0[ox], w1 = cols.lambda1[ox];
                    double w00 = h0 * w0, w01 = h0 * w1, w10 = h1 * w0, w11 = h1 * w1; // float products
                    for (int c = 0; c < channels; c++) {
                        double v = src[r0 + c0 + c] * w00 + src[r0 + c1 + c] * w01
                                + src[r1 + c0 + c] * w10 + src[r1 + c1 + c] * w11;
                        dst[out + ox * channels + c] = (float) v;
                    }
                }
            }
        });
    }

    /** Source indices and weights of one axis (torch {@code compute_source_index_and_lambda}). */
    private static final class Axis {
        final int[] index0, index1;
        final float[] lambda0, lambda1;

        Axis(int in, int out) {
            index0 = new int[out];
            index1 = new int[out];
            lambda0 = new float[out];
            lambda1 = new float[out];
            float scale = (float) in / out;
            for (int o = 0; o < out; o++) {
                if (in == out) {
                    index0[o] = index1[o] = o;
                    lambda0[o] = 1f;
                    continue;
                }
                double real = Math.max(scale * (o + 0.5) - 0.5, 0.0);
                int i0 = (int) real;
                index0[o] = i0;
                index1[o] = i0 < in - 1 ? i0 + 1 : i0;
                float l1 = (float) Math.min(Math.max(real - i0, 0.0), 1.0);
                lambda1[o] = l1;
                lambda0[o] = 1f - l1;
            }
        }
    }
}
