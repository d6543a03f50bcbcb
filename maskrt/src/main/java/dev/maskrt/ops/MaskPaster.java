package dev.maskrt.ops;

import dev.maskrt.output.CompactMask;

/**
 * Pastes fixed-resolution instance mask probabilities (e.g. the mask head's 28×28 output) into an image and
 * binarises them, with the semantics of detectron2's {@code paste_masks_in_image} (the grid_sample based,
 * "aligned" version of {@code detectron2/layers/mask_ops.py}).
 *
 * <p>For instance {@code i} with box {@code (x0, y0, x1, y1)} the pasted region is the box's integer hull
 * {@code [max(floor(x0) - 1, 0), min(ceil(x1) + 1, imageWidth))} × (likewise for rows). Every pixel {@code (x, y)}
 * of the hull samples the mask bilinearly (zero outside the mask) at the point whose normalised coordinates are
 * {@code ((x + 0.5 - x0) / (x1 - x0)) * 2 - 1} (likewise {@code y}), as {@code F.grid_sample(..., align_corners=False)}
 * does, and is set when the sampled probability is {@code >= threshold}, compared in float32. Pixels outside the
 * hull are never set.
 *
 * <p>Degenerate boxes ({@code x1 <= x0}, {@code y1 <= y0}, or any infinite coordinate) give an empty mask
 * (detectron2 would divide by zero there). A NaN coordinate is refused as bad input.
 */
public interface MaskPaster {

    /**
     * Pastes {@code N} masks into an image of {@code imageHeight × imageWidth} pixels.
     *
     * @param masks probabilities, {@code [N, maskHeight, maskWidth]} row-major (the predicted class's channel after
     *     sigmoid); values are used as given
     * @param maskHeight rows of each mask, {@code >= 1}
     * @param maskWidth columns of each mask, {@code >= 1} (need not equal {@code maskHeight})
     * @param boxes {@code [N, 4]} boxes {@code (x0, y0, x1, y1)} in pixels of the target image; corners may lie
     *     outside the image; no NaN
     * @param imageHeight rows of the target image, {@code >= 1}
     * @param imageWidth columns of the target image, {@code >= 1}
     * @param threshold a pixel is set when its probability is {@code >= threshold}; finite and {@code >= 0}
     * @return {@code N} masks in input order; mask {@code i} covers box {@code i}'s integer hull clipped to the
     *     image, or is {@link CompactMask#empty} when that hull is empty or the box is degenerate
     * @throws IllegalArgumentException naming the argument when a size or length is wrong, a box coordinate is
     *     NaN, or the threshold is negative or not finite
     */
    CompactMask[] paste(float[] masks, int maskHeight, int maskWidth, float[] boxes, int imageHeight, int imageWidth,
            float threshold);

    /**
     * maskrcnn-benchmark's {@code Masker(threshold, padding=1)} ({@code modeling/roi_heads/mask_head/inference.py}:91-159,
     * what {@code coco_eval.py} pastes with): each {@code M×M} mask is padded by one zero pixel on every side; its
     * box is scaled about its centre by {@code float32((M + 2) / M)} ({@code expand_boxes}) and truncated to integers
     * (toward zero); the padded mask is resized to {@code (y1 - y0 + 1) × (x1 - x0 + 1)} (each at least 1) with
     * {@code F.interpolate(bilinear, align_corners=False)}, binarised with {@code > threshold} (strict) and placed at
     * {@code (x0, y0)}, clipped to the image.
     *
     * @param masks {@code [N, maskSize, maskSize]} probabilities
     * @param boxes {@code [N, 4]} in pixels of the target image, no NaN
     * @param threshold finite
     * @return {@code N} masks over their placed rectangles clipped to the image (empty when nothing is set there)
     */
    CompactMask[] pasteMasker(float[] masks, int maskHeight, int maskWidth, float[] boxes, int imageHeight,
            int imageWidth, float threshold);
}
