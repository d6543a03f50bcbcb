package dev.maskrt.image;

import dev.maskrt.util.Workers;
import java.util.concurrent.ConcurrentHashMap;

/**
 * PIL's {@code Image.resize(size, Image.BILINEAR)} for 8-bit images, bit for bit: detectron2 resizes uint8 images
 * this way. A triangle filter that widens with the downscaling factor (antialiased), fixed-point integer weights
 * with 22 fractional bits, a horizontal pass and then a vertical pass, each rounded and clipped to 0..255; a pass is
 * skipped where that side keeps its size. Images are HWC (interleaved channels, row-major), channels filtered
 * independently.
 *
 * <p>Coefficients are computed once per (input size, output size) and cached. Rows are split over the
 * {@link Workers} in fixed ranges, each output row written by one task, so the result does not depend on the thread
 * count. Thread-safe.
 */
public final class PilBilinearResize {
    private static final int CACHE_LIMIT = 64;
    private static final int ROW_GRAIN = 8;

    private final Workers workers;
    private final ConcurrentHashMap<Long, PilAxisFilter> filters = new ConcurrentHashMap<>();

    /** @param workers threads for the row loops (not closed by this) */
    public PilBilinearResize(Workers workers) {
        if (workers == null) throw new IllegalArgumentException("workers must not be null");
        this.workers = workers;
    }

    /** Resizes an 8-bit image to {@code newHeight × newWidth}, keeping its channels and format. */
    public DecodedImage resize(DecodedImage image, int newHeight, int newWidth) {
        if (image == null) throw new IllegalArgumentException("image must not be null");
        if (!image.is8Bit()) throw new IllegalArgumentException("image: expected 8-bit samples, got " + image);
        byte[] out = resize(image.bytes(), image.height(), image.width(), image.channels(), newHeight, newWidth);
        return DecodedImage.ofBytes(newHeight, newWidth, image.channels(), image.format(), out);
    }

    /**
     * Resizes {@code src} ({@code height × width × channels}, HWC) to a new array of
     * {@code newHeight × newWidth × channels}.
     */
    public byte[] resize(byte[] src, int height, int width, int channels, int newHeight, int newWidth) {
        ResizeChecks.checkOutputSize(newHeight, newWidth);
        byte[] dst = new byte[Math.multiplyExact(Math.multiplyExact(newHeight, newWidth), channels)];
        resize(src, height, width, channels, newHeight, newWidth, dst);
        return dst;
    }

    /**
     * Resizes {@code src} ({@code height × width × channels}, HWC) into {@code dst}, whose length must be
     * {@code newHeight * newWidth * channels}. Sizes of 0 give an empty result; an empty source with a non-empty
     * output is refused.
     */
    public void resize(byte[] src, int height, int width, int channels, int newHeight, int newWidth, byte[] dst) {
        if (!ResizeChecks.check(src, src == null ? 0 : src.length, dst, dst == null ? 0 : dst.length, height, width,
                channels, newHeight, newWidth)) {
            return;
        }
        boolean horizontal = newWidth != width, vertical = newHeight != height;
        if (!horizontal && !vertical) {
            System.arraycopy(src, 0, dst, 0, src.length);
        } else if (!vertical) {
            horizontalPass(src, 0, height, width, channels, filter(width, newWidth), dst);
        } else if (!horizontal) {
            verticalPass(src, width * channels, filter(height, newHeight), 0, dst);
        } else {
            PilAxisFilter rows = filter(height, newHeight);
            // Like PIL, the horizontal pass covers only the input rows that the vertical pass reads.
            int first = rows.start[0];
            int last = rows.start[newHeight - 1] + rows.count[newHeight - 1];
            byte[] tmp = new byte[Math.multiplyExact(Math.multiplyExact(last - first, newWidth), channels)];
            horizontalPass(src, first, last - first, width, channels, filter(width, newWidth), tmp);
            verticalPass(tmp, newWidth * channels, rows, first, dst);
        }
    }


    private PilAxisFilter filter(int in, int out) {
        long key = ((long) in << 32) | out;
        PilAxisFilter f = filters.get(key);
        if (f == null) {
            if (filters.size() >= CACHE_LIMIT) filters.clear();
            f = filters.computeIfAbsent(key, k -> new PilAxisFilter(in, out));
        }
        return f;
    }

    /** Rows {@code [firstRow, firstRow + rows)} of {@code src} resampled along x into rows {@code 0..rows-1} of dst. */
    private void horizontalPass(byte[] src, int firstRow, int rows, int width, int channels, PilAxisFilter f,
            byte[] dst) {
        int outW = f.outSize, taps = f.taps;
        int[] start = f.start, count = f.count, weights = f.weights;
        int half = 1 << (PilAxisFilter.PRECISION_BITS - 1);
        if (f.windowStart != null && channels == 1 && taps == 3) {
            horizontalPassGray3(src, firstRow, rows, width, f, dst);
            return;
        }
        if (f.windowStart != null && channels == 3 && taps == 3) {
            horizontalPassColour3(src, firstRow, rows, width, f, dst);
            return;
        }
        workers.parallelFor(rows, ROW_GRAIN, (from, to) -> {
            for (int r = from; r < to; r++) {
                int in = (firstRow + r) * width * channels, out = r * outW * channels;
                for (int o = 0; o < outW; o++) {
                    int k0 = o * taps, n = count[o], s = in + start[o] * channels;
                    for (int c = 0; c < channels; c++) {
                        int sum = half;
                        for (int t = 0, i = s + c; t < n; t++, i += channels) {
                            sum += (src[i] & 0xFF) * weights[k0 + t];
                        }
                        dst[out + o * channels + c] = (byte) PilAxisFilter.clip8(sum);
                    }
                }
            }
        });
    }

    /** The common upscaling case (3 taps, one channel) with the fixed-length window: no per-output tap count. */
    private void horizontalPassGray3(byte[] src, int firstRow, int rows, int width, PilAxisFilter f, byte[] dst) {
        int outW = f.outSize;
        int[] start = f.windowStart, w = f.windowWeights;
        int half = 1 << (PilAxisFilter.PRECISION_BITS - 1);
        workers.parallelFor(rows, ROW_GRAIN, (from, to) -> {
            for (int r = from; r < to; r++) {
                int in = (firstRow + r) * width, out = r * outW;
                for (int o = 0, k = 0; o < outW; o++, k += 3) {
                    int s = in + start[o];
                    int sum = half + (src[s] & 0xFF) * w[k] + (src[s + 1] & 0xFF) * w[k + 1]
                            + (src[s + 2] & 0xFF) * w[k + 2];
                    dst[out + o] = (byte) PilAxisFilter.clip8(sum);
                }
            }
        });
    }

    /** The common upscaling case (3 taps) for 3 interleaved channels. */
    private void horizontalPassColour3(byte[] src, int firstRow, int rows, int width, PilAxisFilter f, byte[] dst) {
        int outW = f.outSize;
        int[] start = f.windowStart, w = f.windowWeights;
        int half = 1 << (PilAxisFilter.PRECISION_BITS - 1);
        workers.parallelFor(rows, ROW_GRAIN, (from, to) -> {
            for (int r = from; r < to; r++) {
                int in = (firstRow + r) * width * 3, out = r * outW * 3;
                for (int o = 0, k = 0; o < outW; o++, k += 3) {
                    int s = in + start[o] * 3, w0 = w[k], w1 = w[k + 1], w2 = w[k + 2], d = out + o * 3;
                    for (int c = 0; c < 3; c++) {
                        int sum = half + (src[s + c] & 0xFF) * w0 + (src[s + 3 + c] & 0xFF) * w1
                                + (src[s + 6 + c] & 0xFF) * w2;
                        dst[d + c] = (byte) PilAxisFilter.clip8(sum);
                    }
                }
            }
        });
    }

    /** Resamples along y: output row o reads source rows {@code start[o] - rowOffset ...} of {@code src}. */
    private void verticalPass(byte[] src, int rowLength, PilAxisFilter f, int rowOffset, byte[] dst) {
        int taps = f.taps;
        int[] start = f.start, count = f.count, weights = f.weights;
        int half = 1 << (PilAxisFilter.PRECISION_BITS - 1);
        workers.parallelFor(f.outSize, ROW_GRAIN, (from, to) -> {
            int[] acc = new int[rowLength];
            for (int o = from; o < to; o++) {
                java.util.Arrays.fill(acc, half);
                int k0 = o * taps;
                for (int t = 0, n = count[o]; t < n; t++) {
                    int k = weights[k0 + t], row = (start[o] - rowOffset + t) * rowLength;
                    for (int i = 0; i < rowLength; i++) acc[i] += (src[row + i] & 0xFF) * k;
                }
                int out = o * rowLength;
                for (int i = 0; i < rowLength; i++) dst[out + i] = (byte) PilAxisFilter.clip8(acc[i]);
            }
        });
    }
}
