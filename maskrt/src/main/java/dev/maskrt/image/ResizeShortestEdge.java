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

    private final int shortEdge, maxSize;

    /**
     * @param shortEdge target length of the short side in pixels, {@code >= 0}; 0 disables resizing
     * @param maxSize limit of the long side in pixels, {@code >= 1}; {@link #NO_MAX} for none
     */
    public ResizeShortestEdge(int shortEdge, int maxSize) {
        if (shortEdge < 0) throw new IllegalArgumentException("shortEdge must be >= 0, got " + shortEdge);
        if (maxSize < 1) throw new IllegalArgumentException("maxSize must be >= 1, got " + maxSize);
        this.shortEdge = shortEdge;
        this.maxSize = maxSize;
    }

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
        return outputShape(height, width, shortEdge, maxSize);
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
