package dev.maskrt.cascade;

import dev.maskrt.output.Instance;
import java.util.List;

/**
 * The pipeline's result for one image: the instances in original-image pixels, plus the intermediates that led to
 * them (for parity tests and debugging).
 *
 * @param instances detections in descending score order, boxes and masks in original-image pixels
 * @param proposals the RPN proposals (resized-image pixels)
 * @param stages the cascade stages' boxes and probabilities for those proposals (null when there were none)
 * @param detections the final detections in resized-image pixels, before detector_postprocess
 * @param masks mask probabilities of the detections that survived detector_postprocess, in instance order (null
 *     for a box-only model)
 */
public record ImageResult(List<Instance> instances, Proposals proposals, StageOutput stages, Detections detections,
        MaskProbabilities masks) {
    public ImageResult {
        instances = List.copyOf(instances);
    }
}
