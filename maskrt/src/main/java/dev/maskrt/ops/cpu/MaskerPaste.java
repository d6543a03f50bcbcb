package dev.maskrt.ops.cpu;

import dev.maskrt.output.CompactMask;

/**
 * maskrcnn-benchmark's {@code paste_mask_in_image} for one mask ({@code maskrcnn_benchmark/modeling/roi_heads/
 * mask_head/inference.py}:91-159), the paste of its {@code Masker(threshold=0.5, padding=1)} that {@code coco_eval.py}
 * uses: pad the {@code M×M} mask by one zero pixel, scale the box about its centre by {@code float32((M + 2) / M)}
 * ({@code expand_boxes}), truncate it to integers, resize the padded mask to the box's inclusive size with torch's
 * {@code upsample_bilinear2d} ({@code align_corners=False}, size given), threshold with {@code >}, place it at the
 * box's corner, clipped to the image. Stateless.
 */
final class MaskerPaste {
    private MaskerPaste() {}

    static CompactMask paste(float[] masks, int offset, int maskHeight, int maskWidth, float[] boxes, int b,
            int imageHeight, int imageWidth, float threshold) {
        int padding = 1;
        int ph = maskHeight + 2 * padding, pw = maskWidth + 2 * padding;
        float scale = (float) ((double) (maskWidth + 2 * padding) / maskWidth); // float(M + pad2) / M, then float32
        float x0 = boxes[b], y0 = boxes[b + 1], x1 = boxes[b + 2], y1 = boxes[b + 3];
        float wHalf = (x1 - x0) * 0.5f;
        float hHalf = (y1 - y0) * 0.5f;
        float xc = (x1 + x0) * 0.5f;
        float yc = (y1 + y0) * 0.5f;
        wHalf *= scale;
        hHalf *= scale;
        int bx0 = toInt32(xc - wHalf), by0 = toInt32(yc - hHalf), bx1 = toInt32(xc + wHalf), by1 = toInt32(yc + hHalf);
        int w = Math.max(bx1 - bx0 + 1, 1), h = Math.max(by1 - by0 + 1, 1);
        int xa = Math.max(bx0, 0), xb = Math.min(bx1 + 1, imageWidth);
        int ya = Math.max(by0, 0), yb = Math.min(by1 + 1, imageHeight);
        if (xb <= xa || yb <= ya) return CompactMask.empty(imageHeight, imageWidth);
        Axis cols = new Axis(pw, w), rows = new Axis(ph, h);
        int width = xb - xa, height = yb - ya;
        byte[] bits = new byte[width * height];
        boolean any = false;
        for (int y = ya; y < yb; y++) {
            int r = y - by0;
            int r0 = rows.index0[r] - padding, r1 = rows.index1[r] - padding; // padded row -> mask row (or outside)
            float h0 = rows.lambda0[r], h1 = rows.lambda1[r];
            for (int x = xa; x < xb; x++) {
                int c = x - bx0;
                int c0 = cols.index0[c] - padding, c1 = cols.index1[c] - padding;
                float w0 = cols.lambda0[c], w1 = cols.lambda1[c];
                float top = at(masks, offset, maskHeight, maskWidth, r0, c0) * w0
                        + at(masks, offset, maskHeight, maskWidth, r0, c1) * w1;
                float bottom = at(masks, offset, maskHeight, maskWidth, r1, c0) * w0
                        + at(masks, offset, maskHeight, maskWidth, r1, c1) * w1;
                float v = top * h0 + bottom * h1;
                if (v > threshold) {
                    bits[(y - ya) * width + (x - xa)] = 1;
                    any = true;
                }
            }
        }
        if (!any) return CompactMask.empty(imageHeight, imageWidth);
        return new CompactMask(imageHeight, imageWidth, xa, ya, width, height, bits);
    }

    /** The padded mask's value: zero in the padding. */
    private static float at(float[] masks, int offset, int mh, int mw, int r, int c) {
        if (r < 0 || r >= mh || c < 0 || c >= mw) return 0f;
        return masks[offset + r * mw + c];
    }

    /** torch's {@code .to(torch.int32)} of a float: truncation toward zero (saturating here where C++ is undefined). */
    private static int toInt32(float v) {
        return (int) v;
    }

    /**
     * One axis of torch 1.13's {@code upsample_bilinear2d} (CPU, {@code align_corners=False}, output size given):
     * {@code scale = float(in) / out}; source {@code float(scale * (i + 0.5) - 0.5)} (the product in double, as
     * {@code area_pixel_compute_source_index} computes it), negative → 0; {@code index0} its integer part,
     * {@code index1 = index0 + 1} unless at the last input; {@code lambda1} the fraction clamped to [0, 1],
     * {@code lambda0 = 1 - lambda1}; an axis of equal sizes copies ({@code lambda0 = 1}).
     */
    private static final class Axis {
        final int[] index0, index1;
        final float[] lambda0, lambda1;

        Axis(int in, int out) {
            index0 = new int[out];
            index1 = new int[out];
            lambda0 = new float[out];
            lambda1 = new float[out];
            float scale = (float) in / out;
            for (int i = 0; i < out; i++) {
                if (in == out) {
                    index0[i] = i;
                    index1[i] = i;
                    lambda0[i] = 1f;
                    lambda1[i] = 0f;
                    continue;
                }
                float src = (float) (scale * (i + 0.5) - 0.5);
                if (src < 0) src = 0f;
                int i0 = (int) src;
                index0[i] = i0;
                index1[i] = i0 + (i0 < in - 1 ? 1 : 0);
                float l1 = Math.min(Math.max(src - i0, 0f), 1f);
                lambda1[i] = l1;
                lambda0[i] = 1f - l1;
            }
        }
    }
}
