package dev.maskrt.ops;

/**
 * Anchor boxes exactly as detectron2's {@code DefaultAnchorGenerator} makes them. Boxes are
 * {@code (x0, y0, x1, y1)} in input-image pixels, packed in {@code float[4N]}.
 *
 * <p>Sizes, aspect ratios and the offset are {@code double} because detectron2 computes the cell anchors and
 * the grid shifts in Python/double arithmetic from config values and only then rounds to float32; passing the
 * config's decimal values as doubles reproduces its float32 results bit for bit.
 *
 * <p>Stateless and thread-safe.
 */
public final class Anchors {
    private Anchors() {}

    /**
     * The anchors of one grid cell centred on the origin: for each size (outer loop), for each aspect ratio
     * (inner loop), {@code w = sqrt(size² / ratio)}, {@code h = ratio · w}, box {@code (-w/2, -h/2, w/2, h/2)},
     * computed in double and rounded to float.
     *
     * @param sizes        anchor side lengths in pixels, each finite and {@code > 0}
     * @param aspectRatios height / width ratios, each finite and {@code > 0}
     * @return {@code float[4 · A]} with {@code A = sizes.length · aspectRatios.length}, size-major
     */
    public static float[] cellAnchors(double[] sizes, double[] aspectRatios) {
        positive("sizes", sizes);
        positive("aspectRatios", aspectRatios);
        float[] out = new float[4 * sizes.length * aspectRatios.length];
        int o = 0;
        for (double size : sizes) {
            double area = size * size;
            for (double ratio : aspectRatios) {
                double w = Math.sqrt(area / ratio);
                double h = ratio * w;
                out[o++] = (float) (-w / 2.0);
                out[o++] = (float) (-h / 2.0);
                out[o++] = (float) (w / 2.0);
                out[o++] = (float) (h / 2.0);
            }
        }
        return out;
    }

    /**
     * maskrcnn-benchmark's cell anchors ({@code maskrcnn_benchmark/modeling/rpn/anchor_generator.py}:220-289
     * {@code generate_anchors}, after Detectron's): a base window {@code [0, 0, stride - 1, stride - 1]}; for each
     * aspect ratio (outer loop) {@code ws = round(sqrt(stride² / ratio))}, {@code hs = round(ws · ratio)} (numpy's
     * round: half to even); for each {@code size / stride} scale (inner loop) the window {@code ws·scale × hs·scale}
     * about the base centre {@code (stride - 1) / 2}, as {@code ctr ∓ 0.5 · (side - 1)}; all in double, then float.
     * Anchors are inclusive pixel ranges (a 32-pixel anchor spans {@code x1 - x0 = 31}).
     *
     * @param stride the level's stride, {@code >= 1}
     * @param sizes anchor sizes in pixels, each finite and {@code > 0}
     * @param aspectRatios height / width ratios, each finite and {@code > 0}
     * @return {@code float[4 · A]}, ratio-major (the order {@link #gridAnchors} expects for {@code A} per cell)
     */
    public static float[] maskrcnnBenchmarkCellAnchors(int stride, double[] sizes, double[] aspectRatios) {
        Checks.atLeast("stride", stride, 1);
        positive("sizes", sizes);
        positive("aspectRatios", aspectRatios);
        float[] out = new float[4 * sizes.length * aspectRatios.length];
        double base = stride; // _whctrs of [0, 0, stride - 1, stride - 1]: w = h = stride, centre (stride - 1) / 2
        double ctr = 0.5 * (base - 1);
        int o = 0;
        for (double ratio : aspectRatios) {
            double ws = Math.rint(Math.sqrt(base * base / ratio));
            double hs = Math.rint(ws * ratio);
            // _mkanchors of the ratio anchor, then _whctrs of it again: its width ws, height hs, same centre
            double ax0 = ctr - 0.5 * (ws - 1), ay0 = ctr - 0.5 * (hs - 1);
            double ax1 = ctr + 0.5 * (ws - 1), ay1 = ctr + 0.5 * (hs - 1);
            double w = ax1 - ax0 + 1, h = ay1 - ay0 + 1;
            double xc = ax0 + 0.5 * (w - 1), yc = ay0 + 0.5 * (h - 1);
            for (double size : sizes) {
                double scale = size / stride;
                double sw = w * scale, sh = h * scale;
                out[o++] = (float) (xc - 0.5 * (sw - 1));
                out[o++] = (float) (yc - 0.5 * (sh - 1));
                out[o++] = (float) (xc + 0.5 * (sw - 1));
                out[o++] = (float) (yc + 0.5 * (sh - 1));
            }
        }
        return out;
    }

    /**
     * mmdetection's cell anchors ({@code AnchorGenerator.gen_single_level_base_anchors},
     * {@code mmdet/core/anchor/anchor_generator.py}:151-194 at v2.16.0, base size = stride, {@code scale_major}), in
     * float32 as it computes them: {@code hr = sqrt(ratio)}, {@code wr = 1 / hr}; for each ratio (outer loop), for
     * each scale (inner loop) {@code ws = stride · wr · scale}, {@code hs = stride · hr · scale}, box
     * {@code (-0.5ws, -0.5hs, 0.5ws, 0.5hs)} about the origin ({@code center_offset} is applied by
     * {@link #gridAnchors}'s offset).
     *
     * @param stride the level's stride (mmdetection's base size), {@code >= 1}
     * @param scales anchor scales (size / stride), each finite and {@code > 0}
     * @param aspectRatios height / width ratios, each finite and {@code > 0}
     * @return {@code float[4 · A]}, ratio-major
     */
    public static float[] mmdetectionCellAnchors(int stride, double[] scales, double[] aspectRatios) {
        Checks.atLeast("stride", stride, 1);
        positive("scales", scales);
        positive("aspectRatios", aspectRatios);
        float[] out = new float[4 * scales.length * aspectRatios.length];
        int o = 0;
        for (double ratio : aspectRatios) {
            float hr = (float) Math.sqrt((float) ratio), wr = 1f / hr;
            for (double scale : scales) {
                float ws = stride * wr * (float) scale, hs = stride * hr * (float) scale;
                out[o++] = -(0.5f * ws);
                out[o++] = -(0.5f * hs);
                out[o++] = 0.5f * ws;
                out[o++] = 0.5f * hs;
            }
        }
        return out;
    }

    /**
     * The anchors of one feature level: every cell anchor shifted to every grid position. The shift of column
     * {@code x} is {@code offset·stride + x·stride} (computed in double like {@code torch.arange} does, then
     * rounded to float), likewise for rows; each anchor coordinate is {@code float(shift) + float(cell)}.
     *
     * @param gridHeight  feature-map height {@code H >= 0}
     * @param gridWidth   feature-map width {@code W >= 0}
     * @param stride      feature stride in pixels, {@code >= 1}
     * @param offset      anchor centre offset in units of the stride, in {@code [0, 1)} (detectron2 default 0)
     * @param cellAnchors {@code float[4 · A]} from {@link #cellAnchors}
     * @return {@code float[4 · H · W · A]} in order {@code (H, W, A)}, A fastest
     */
    public static float[] gridAnchors(int gridHeight, int gridWidth, int stride, double offset, float[] cellAnchors) {
        Checks.atLeast("gridHeight", gridHeight, 0);
        Checks.atLeast("gridWidth", gridWidth, 0);
        Checks.atLeast("stride", stride, 1);
        if (!(offset >= 0.0 && offset < 1.0)) {
            throw new IllegalArgumentException("offset must be in [0, 1), got " + offset);
        }
        int a = Checks.boxCount("cellAnchors", cellAnchors);
        Checks.finite("cellAnchors", cellAnchors);
        long total = 4L * gridHeight * gridWidth * a;
        if (total > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("gridHeight * gridWidth * anchors is too large: " + total / 4 + " anchors");
        }
        float[] shiftX = shifts(gridWidth, stride, offset);
        float[] shiftY = shifts(gridHeight, stride, offset);
        float[] out = new float[(int) total];
        int o = 0;
        for (int y = 0; y < gridHeight; y++) {
            float sy = shiftY[y];
            for (int x = 0; x < gridWidth; x++) {
                float sx = shiftX[x];
                for (int c = 0; c < 4 * a; c += 4) {
                    out[o++] = sx + cellAnchors[c];
                    out[o++] = sy + cellAnchors[c + 1];
                    out[o++] = sx + cellAnchors[c + 2];
                    out[o++] = sy + cellAnchors[c + 3];
                }
            }
        }
        return out;
    }

    private static float[] shifts(int count, int stride, double offset) {
        double start = offset * stride;
        float[] s = new float[count];
        for (int i = 0; i < count; i++) {
            s[i] = (float) (start + (double) stride * i);
        }
        return s;
    }

    private static void positive(String name, double[] values) {
        if (values == null) throw new IllegalArgumentException(name + " must not be null");
        for (int i = 0; i < values.length; i++) {
            if (!(values[i] > 0) || Double.isInfinite(values[i])) {
                throw new IllegalArgumentException(name + "[" + i + "] must be finite and > 0, got " + values[i]);
            }
        }
    }
}
