package dev.maskrt.image;

/**
 * Sizes of one image through the pre-processing: its original size, its size after {@link ResizeShortestEdge} (the
 * region of the padded batch it occupies, from the top-left corner), and the factors that map boxes found in the
 * resized image back to the original (detectron2 {@code detector_postprocess}). Immutable.
 */
public final class ImageGeometry {
    private final int originalHeight, originalWidth, resizedHeight, resizedWidth;

    public ImageGeometry(int originalHeight, int originalWidth, int resizedHeight, int resizedWidth) {
        if (originalHeight < 1 || originalWidth < 1) {
            throw new IllegalArgumentException("original size must be >= 1x1, got " + originalHeight + "x" + originalWidth);
        }
        if (resizedHeight < 1 || resizedWidth < 1) {
            throw new IllegalArgumentException("resized size must be >= 1x1, got " + resizedHeight + "x" + resizedWidth);
        }
        this.originalHeight = originalHeight;
        this.originalWidth = originalWidth;
        this.resizedHeight = resizedHeight;
        this.resizedWidth = resizedWidth;
    }

    public int originalHeight() { return originalHeight; }

    public int originalWidth() { return originalWidth; }

    /** Height of the resized image in pixels: rows {@code [0, resizedHeight)} of its slot in the batch. */
    public int resizedHeight() { return resizedHeight; }

    /** Width of the resized image in pixels: columns {@code [0, resizedWidth)} of its slot in the batch. */
    public int resizedWidth() { return resizedWidth; }

    /**
     * {@code originalWidth / resizedWidth} as a Python float (double). detectron2 multiplies float32 box tensors by
     * it, which torch does in float32: use {@code (float) scaleX()} to match.
     */
    public double scaleX() { return (double) originalWidth / resizedWidth; }

    /** {@code originalHeight / resizedHeight} as a Python float (double); see {@link #scaleX()}. */
    public double scaleY() { return (double) originalHeight / resizedHeight; }

    @Override
    public String toString() {
        return "ImageGeometry[" + originalHeight + "x" + originalWidth + " -> " + resizedHeight + "x" + resizedWidth + "]";
    }
}
