package dev.maskrt.image;

/**
 * detectron2's test-time {@code ResizeShortestEdge(short_edge_length, max_size)} size rule, in the same double
 * arithmetic as its {@code get_output_shape}: {@code scale = short / min(h, w)}; the short side becomes
 * {@code short} and the long side {@code scale * long}; if the longer of the two exceeds {@code max}, both are
 * multiplied by {@code max / longer}; each is then rounded as {@code int(x + 0.5)}. A short edge of 0 means "do not
 * resize" (detectron2's {@code NoOpTransform}). Immutable and thread-safe.
 */
public final class ResizeShortestEdge {
    /** No limit on the long side (detectron2's default {@code sys.maxsize}). */
    public static final int NO_MAX = Integer.MAX_VALUE;

    /** The trainers' size rules. */
    private enum Rule { DETECTRON2, MASKRCNN_BENCHMARK, MMDETECTION }

    private final int shortEdge, maxSize;
    private final Rule rule;

    /**
     * @param shortEdge target length of the short side in pixels, {@code >= 0}; 0 disables resizing
     * @param maxSize limit of the long side in pixels, {@code >= 1}; {@link #NO_MAX} for none
     */
    public ResizeShortestEdge(int shortEdge, int maxSize) {
        this(shortEdge, maxSize, Rule.DETECTRON2);
    }

    private ResizeShortestEdge(int shortEdge, int maxSize, Rule rule) {
        if (shortEdge < 0) throw new IllegalArgumentException("shortEdge must be >= 0, got " + shortEdge);
        if (maxSize < 1) throw new IllegalArgumentException("maxSize must be >= 1, got " + maxSize);
        this.shortEdge = shortEdge;
        this.maxSize = maxSize;
        this.rule = rule;
    }

    /**
     * maskrcnn-benchmark's test-time {@code Resize(min_size, max_size)} instead of detectron2's rule
     * ({@code maskrcnn_benchmark/data/transforms/transforms.py}:35-55 {@code get_size}): if {@code long / short * min}
     * exceeds {@code max}, the short side becomes {@code round(max * short / long)} (Python's {@code round}: half to
     * even); an image whose short side already has that length keeps its size; else the short side becomes that length
     * and the long side {@code int(size * long / short)} (truncated, not rounded).
     */
    public static ResizeShortestEdge maskrcnnBenchmark(int shortEdge, int maxSize) {
        return new ResizeShortestEdge(shortEdge, maxSize, Rule.MASKRCNN_BENCHMARK);
    }

    /**
     * mmdetection's test-time {@code Resize(img_scale=(maxSize, shortEdge), keep_ratio=True)}: mmcv's
     * {@code imrescale} ({@code mmcv/image/geometric.py} {@code rescale_size}, v1.3.9): {@code scale = min(maxSize /
     * long, shortEdge / short)}, each side {@code int(side · scale + 0.5)}. The {@link Preprocessor} then resizes with
     * OpenCV's bilinear interpolation and normalises as mmcv's {@code imnormalize} does.
     */
    public static ResizeShortestEdge mmdetection(int shortEdge, int maxSize) {
        return new ResizeShortestEdge(shortEdge, maxSize, Rule.MMDETECTION);
    }

    /** Whether this is maskrcnn-benchmark's rule ({@link #maskrcnnBenchmark}) rather than detectron2's. */
    public boolean isMaskrcnnBenchmark() { return rule == Rule.MASKRCNN_BENCHMARK; }

    /** Whether this is mmdetection's rule ({@link #mmdetection}): sizes, interpolation and normalisation. */
    public boolean isMmdetection() { return rule == Rule.MMDETECTION; }

    public int shortEdge() { return shortEdge; }

    public int maxSize() { return maxSize; }

    /**
     * The resized size of an image of {@code height × width} pixels, as {@code {newHeight, newWidth}}. An empty image
     * ({@code height} or {@code width} 0) or a short edge of 0 keeps its size.
     */
    public int[] outputSize(int height, int width) {
        if (height < 0) throw new IllegalArgumentException("height must be >= 0, got " + height);
        if (width < 0) throw new IllegalArgumentException("width must be >= 0, got " + width);
        if (shortEdge == 0 || height == 0 || width == 0) return new int[] {height, width};
        if (rule == Rule.MASKRCNN_BENCHMARK) return maskrcnnBenchmarkSize(height, width, shortEdge, maxSize);
        if (rule == Rule.MMDETECTION) return mmdetectionSize(height, width, shortEdge, maxSize);
        return outputShape(height, width, shortEdge, maxSize);
    }

    /** maskrcnn-benchmark {@code Resize.get_size((w, h))} with one test size: {@code {newHeight, newWidth}}. */
    static int[] maskrcnnBenchmarkSize(int h, int w, int minSize, int maxSize) {
        int size = minSize;
        double minOriginal = Math.min(w, h), maxOriginal = Math.max(w, h);
        if (maxOriginal / minOriginal * size > maxSize) {
            size = pythonInt(Math.rint(maxSize * minOriginal / maxOriginal)); // Python 3 round(): half to even
        }
        if ((w <= h && w == size) || (h <= w && h == size)) return new int[] {h, w};
        if (w < h) return new int[] {pythonInt((double) ((long) size * h) / w), size};
        return new int[] {size, pythonInt((double) ((long) size * w) / h)};
    }

    /** mmcv {@code rescale_size((w, h), (maxSize, shortEdge))}: {@code {newHeight, newWidth}}. */
    static int[] mmdetectionSize(int h, int w, int shortEdge, int maxSize) {
        double scale = Math.min((double) maxSize / Math.max(h, w), (double) shortEdge / Math.min(h, w));
        return new int[] {pythonInt(h * scale + 0.5), pythonInt(w * scale + 0.5)};
    }

    /**
     * detectron2 {@code ResizeShortestEdge.get_output_shape(h, w, short, max)}: {@code {newHeight, newWidth}}.
     * Requires {@code height, width, shortEdge >= 1}.
     */
    public static int[] outputShape(int height, int width, int shortEdge, int maxSize) {
        if (height < 1) throw new IllegalArgumentException("height must be >= 1, got " + height);
        if (width < 1) throw new IllegalArgumentException("width must be >= 1, got " + width);
        if (shortEdge < 1) throw new IllegalArgumentException("shortEdge must be >= 1, got " + shortEdge);
        double size = shortEdge;
        double scale = size / Math.min(height, width);
        double newH, newW;
        if (height < width) {
            newH = size;
            newW = scale * width;
        } else {
            newH = scale * height;
            newW = size;
        }
        double longer = Math.max(newH, newW);
        if (longer > maxSize) {
            scale = maxSize / longer;
            newH = newH * scale;
            newW = newW * scale;
        }
        return new int[] {pythonInt(newH + 0.5), pythonInt(newW + 0.5)};
    }

    /** Python's {@code int(x)} for a positive double: truncation toward zero. */
    private static int pythonInt(double x) {
        if (!(x < Integer.MAX_VALUE)) throw new IllegalArgumentException("resized side too large: " + x);
        return (int) x;
    }
}
