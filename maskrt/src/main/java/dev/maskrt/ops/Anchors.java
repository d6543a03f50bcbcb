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
