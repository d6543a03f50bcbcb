package dev.maskrt.eval;

import java.util.List;
import java.util.Map;

/**
 * The result of {@link SartoriusMetric#evaluate}.
 *
 * @param score mean of the per-image scores, in [0, 1] (0 when there is no image)
 * @param perImage each ground-truth image's score, in the order the ground truth first names the images
 * @param unmentioned the ground-truth images that the submission has no row for (scored as predicting nothing), in
 *     ground-truth order
 * @param submissionRows the submission's rows, header excluded (0 for a header-only file)
 */
public record SartoriusScore(double score, Map<String, Double> perImage, List<String> unmentioned,
                             long submissionRows) {
    /**
     * @param score mean of the per-image scores, in [0, 1]
     * @param perImage each ground-truth image's score, in ground-truth order
     * @param unmentioned the ground-truth images without a submission row (copied)
     * @param submissionRows the submission's rows, header excluded
     */
    public SartoriusScore {
        unmentioned = List.copyOf(unmentioned);
    }

    /**
     * A score without the submission's coverage (every image mentioned, row count unknown: -1).
     *
     * @param score the mean of the per-image scores
     * @param perImage each ground-truth image's score
     */
    public SartoriusScore(double score, Map<String, Double> perImage) {
        this(score, perImage, List.of(), -1);
    }
}
