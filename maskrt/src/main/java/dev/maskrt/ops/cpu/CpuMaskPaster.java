package dev.maskrt.ops.cpu;

import dev.maskrt.util.Workers;

import dev.maskrt.ops.MaskPaster;
import dev.maskrt.ops.MaskPasterChecks;
import dev.maskrt.output.CompactMask;
import java.util.Objects;

/**
 * Pure-Java {@link MaskPaster}, bit-exact with detectron2's {@code paste_masks_in_image} on CPU under torch 1.13
 * (whose AVX2 {@code grid_sample} kernel uses fused multiply-adds; this class reproduces them with
 * {@link Math#fma}). Each instance is sampled only over its integer hull, separably: the mask columns and weights
 * of every hull column and the mask rows and weights of every hull row are computed once per instance.
 *
 * <p>Instances are pasted in parallel on the given {@link Workers}; each output mask is written by one task, so the
 * result does not depend on the thread count. Thread-safe: concurrent calls may share one instance.
 */
public final class CpuMaskPaster implements MaskPaster {
    private final Workers workers;

    /** @param workers the threads to paste on; not closed by this class */
    public CpuMaskPaster(Workers workers) {
        this.workers = Objects.requireNonNull(workers, "workers");
    }

    @Override
    public CompactMask[] paste(float[] masks, int maskHeight, int maskWidth, float[] boxes, int imageHeight,
            int imageWidth, float threshold) {
        int n = MaskPasterChecks.paste(masks, maskHeight, maskWidth, boxes, imageHeight, imageWidth, threshold);
        CompactMask[] out = new CompactMask[n];
        int maskSize = maskHeight * maskWidth;
        workers.parallelFor(n, 1, (from, to) -> {
            for (int i = from; i < to; i++) {
                out[i] = pasteOne(masks, i * maskSize, maskHeight, maskWidth, boxes, 4 * i, imageHeight, imageWidth,
                        threshold);
            }
        });
        return out;
    }

    @Override
    public CompactMask[] pasteMasker(float[] masks, int maskHeight, int maskWidth, float[] boxes, int imageHeight,
            int imageWidth, float threshold) {
        int n = MaskPasterChecks.paste(masks, maskHeight, maskWidth, boxes, imageHeight, imageWidth, 0f);
        if (!Float.isFinite(threshold)) throw new IllegalArgumentException("threshold must be finite, got " + threshold);
        CompactMask[] out = new CompactMask[n];
        int maskSize = maskHeight * maskWidth;
        workers.parallelFor(n, 1, (from, to) -> {
            for (int i = from; i < to; i++) {
                out[i] = MaskerPaste.paste(masks, i * maskSize, maskHeight, maskWidth, boxes, 4 * i, imageHeight,
                        imageWidth, threshold);
            }
        });
        return out;
    }

    private static CompactMask pasteOne(float[] masks, int maskOffset, int maskHeight, int maskWidth, float[] boxes,
            int boxOffset, int imageHeight, int imageWidth, float threshold) {
        Hull hull = Hull.of(boxes, boxOffset, imageHeight, imageWidth);
        if (hull == null) {
            return CompactMask.empty(imageHeight, imageWidth);
        }
        int width = hull.x1 - hull.x0;
        int height = hull.y1 - hull.y0;
        HullSampler sampler = hull.sampler(masks, maskOffset, maskHeight, maskWidth, boxes, boxOffset);
        float[] row = new float[width];
        byte[] bits = new byte[width * height];
        for (int r = 0; r < height; r++) {
            sampler.sampleRow(r, row);
            int base = r * width;
            for (int c = 0; c < width; c++) {
                bits[base + c] = row[c] >= threshold ? (byte) 1 : 0;
            }
        }
        return new CompactMask(imageHeight, imageWidth, hull.x0, hull.y0, width, height, bits);
    }

    /**
     * The probabilities of box {@code boxIndex}'s whole hull, row-major, or an empty array when its mask is empty by
     * the degenerate-box rule. For tests that compare probabilities with torch bit for bit.
     */
    static float[] hullProbabilities(float[] masks, int maskHeight, int maskWidth, float[] boxes, int boxIndex,
            int imageHeight, int imageWidth) {
        Hull hull = Hull.of(boxes, 4 * boxIndex, imageHeight, imageWidth);
        if (hull == null) {
            return new float[0];
        }
        int width = hull.x1 - hull.x0;
        int height = hull.y1 - hull.y0;
        HullSampler sampler = hull.sampler(masks, boxIndex * maskHeight * maskWidth, maskHeight, maskWidth, boxes,
                4 * boxIndex);
        float[] out = new float[width * height];
        float[] row = new float[width];
        for (int r = 0; r < height; r++) {
            sampler.sampleRow(r, row);
            System.arraycopy(row, 0, out, r * width, width);
        }
        return out;
    }

    /** A box's integer hull clipped to the image: columns {@code [x0, x1)}, rows {@code [y0, y1)}. */
    private static final class Hull {
        final int x0, y0, x1, y1;

        private Hull(int x0, int y0, int x1, int y1) {
            this.x0 = x0;
            this.y0 = y0;
            this.x1 = x1;
            this.y1 = y1;
        }

        /** The hull of a usable box, or null when the box is degenerate or its hull misses the image. */
        static Hull of(float[] boxes, int offset, int imageHeight, int imageWidth) {
            float bx0 = boxes[offset], by0 = boxes[offset + 1], bx1 = boxes[offset + 2], by1 = boxes[offset + 3];
            // Policy (not detectron2's, which divides by zero or flips the mask): degenerate boxes paste nothing.
            if (!(bx1 > bx0) || !(by1 > by0) || Float.isInfinite(bx0) || Float.isInfinite(by0)
                    || Float.isInfinite(bx1) || Float.isInfinite(by1)) {
                return null;
            }
            int x0 = hullStart(bx0, imageWidth), x1 = hullEnd(bx1, imageWidth);
            int y0 = hullStart(by0, imageHeight), y1 = hullEnd(by1, imageHeight);
            if (x1 <= x0 || y1 <= y0) {
                return null;
            }
            return new Hull(x0, y0, x1, y1);
        }

        /** {@code max(floor(v) - 1, 0)} in float32 as detectron2 computes it, then at most {@code limit}. */
        private static int hullStart(float v, int limit) {
            float start = Math.max((float) Math.floor(v) - 1f, 0f);
            return start >= limit ? limit : (int) start;
        }

        /** {@code min(ceil(v) + 1, limit)} in float32 as detectron2 computes it, then at least 0. */
        private static int hullEnd(float v, int limit) {
            float end = (float) Math.ceil(v) + 1f;
            return end >= limit ? limit : end <= 0f ? 0 : (int) end;
        }

        HullSampler sampler(float[] masks, int maskOffset, int maskHeight, int maskWidth, float[] boxes, int offset) {
            PasteAxis cols = PasteAxis.compute(x0, x1 - x0, boxes[offset], boxes[offset + 2], maskWidth);
            PasteAxis rows = PasteAxis.compute(y0, y1 - y0, boxes[offset + 1], boxes[offset + 3], maskHeight);
            return new HullSampler(masks, maskOffset, maskHeight, maskWidth, rows, cols);
        }
    }
}
