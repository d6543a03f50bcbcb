package dev.maskrt.output;

import java.util.Objects;

/**
 * One detected instance in an original image: its class, score, box and, for a model with a mask head, its mask.
 *
 * @param classIndex 0-based index into the model's class list (background excluded)
 * @param className the class's name, as the model manifest gives it
 * @param score confidence in [0, 1] (any finite value is accepted)
 * @param x0 left edge of the box, original-image pixels (continuous coordinates, pixel i spans [i, i+1))
 * @param y0 top edge of the box
 * @param x1 right edge, {@code >= x0} (for a maskrcnn-benchmark model, whose boxes are inclusive pixel ranges
 *     {@code [x0, x1]} as its own results are, possibly below {@code x0} for a box under one pixel wide)
 * @param y1 bottom edge, {@code >= y0} (likewise)
 * @param mask the binary mask over the original image (its image size is the image's), or null when the model has
 *     no mask head (a box-only model such as Faster R-CNN); see {@link #hasMask()}
 */
public record Instance(int classIndex, String className, float score, float x0, float y0, float x1, float y1,
                       CompactMask mask) {
    /**
     * @param classIndex 0-based class index, {@code >= 0}
     * @param className the class's name, not null
     * @param score confidence, finite
     * @param x0 left edge, finite
     * @param y0 top edge, finite
     * @param x1 right edge, finite (inverted boxes are accepted: maskrcnn-benchmark's inclusive boxes under a pixel)
     * @param y1 bottom edge, finite
     * @param mask the mask over the original image, or null for a box-only model's instance
     * @throws IllegalArgumentException naming the argument when the class name is null, or a value is negative or not
     *     finite
     */
    public Instance {
        if (classIndex < 0) throw new IllegalArgumentException("classIndex must be >= 0, got " + classIndex);
        if (className == null) throw new IllegalArgumentException("className must not be null");
        if (!Float.isFinite(score)) throw new IllegalArgumentException("score is not finite: " + score);
        if (!(Float.isFinite(x0) && Float.isFinite(y0) && Float.isFinite(x1) && Float.isFinite(y1))) {
            throw new IllegalArgumentException("box (" + x0 + ", " + y0 + ", " + x1 + ", " + y1 + ") is not finite");
        }
    }

    /** Whether the instance has a mask (false for a box-only model's instances). */
    public boolean hasMask() {
        return mask != null;
    }

    /**
     * The same instance with another mask (used when overlap removal trims it).
     *
     * @param newMask the mask, not null
     * @return the new instance
     */
    public Instance withMask(CompactMask newMask) {
        return new Instance(classIndex, className, score, x0, y0, x1, y1, Objects.requireNonNull(newMask, "newMask"));
    }
}
