package dev.maskrt.eval;

import java.util.Map;

/**
 * The result of {@link SartoriusMetric#evaluate}.
 *
 * @param score mean of the per-image scores, in [0, 1] (0 when there is no image)
 * @param perImage each ground-truth image's score, in the order the ground truth first names the images
 */
public record SartoriusScore(double score, Map<String, Double> perImage) {}
