package dev.maskrt.image;

/**
 * How one image is augmented before the network (detectron2's {@code DatasetMapperTTA}): {@link ResizeShortestEdge}
 * to {@code resize}, then, if {@code hflip}, a horizontal flip of the resized image ({@code RandomFlip(prob=1.0)},
 * fvcore's {@code HFlipTransform}). Immutable.
 *
 * @param resize the short side / long side limit
 * @param hflip flip horizontally after resizing
 */
public record Augmentation(ResizeShortestEdge resize, boolean hflip) {
    public Augmentation {
        if (resize == null) throw new IllegalArgumentException("resize must not be null");
    }
}
