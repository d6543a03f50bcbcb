package dev.maskrt.cascade;

import dev.maskrt.image.Augmentation;
import dev.maskrt.output.Instance;
import java.util.List;

/**
 * What test-time augmentation gives for one image, with the intermediates that led to it (parity tests, debugging).
 *
 * @param instances the final detections in descending score order, boxes and masks in original-image pixels
 * @param augmentations the augmented images, in detectron2's order
 * @param augmented per augmentation, its detections mapped back to original-image pixels (not clipped)
 * @param merged the merged detections in original-image pixels, before detector_postprocess
 * @param masks the averaged mask probabilities of the merged detections kept by detector_postprocess, in instance
 *     order; null for a box-only model
 */
public record TtaResult(List<Instance> instances, List<Augmentation> augmentations, List<Detections> augmented,
        Detections merged, MaskProbabilities masks) {
    public TtaResult {
        instances = List.copyOf(instances);
        augmentations = List.copyOf(augmentations);
        augmented = List.copyOf(augmented);
    }
}
