package dev.maskrt.eval;

import dev.maskrt.util.Workers;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Objects;

/**
 * COCO evaluation of a results file against a ground-truth file, with the numbers pycocotools {@code COCOeval}
 * gives: {@code evaluate()}, {@code accumulate()} and {@code summarize()} for {@code bbox} or {@code segm}.
 *
 * <p>Semantics: ground truth as {@link CocoGroundTruth}, results as pycocotools {@code loadRes} (the first result
 * decides whether areas come from boxes or from masks), default parameters (IoU .50:.05:.95, 101 recall points,
 * area ranges all/small/medium/large, {@code useCats=1}). For a {@code maxDets} list other than the default
 * {@code [1, 10, 100]} the summary uses the layout described in {@link CocoSummary}: AP and the area-range ARs at the
 * largest value, the three AR slots at the first, second and largest values.
 *
 * <p>Thread-safe (no shared state).
 */
public final class CocoEvaluation {
    private CocoEvaluation() {}

    /**
     * Runs evaluate + accumulate + summarize on all cores.
     *
     * @param gtJson a COCO ground truth ({@code images}, {@code annotations}, {@code categories})
     * @param resultsJson COCO results (a list of {@code image_id}, {@code category_id}, {@code bbox} or
     *     {@code segmentation}, {@code score})
     * @param iouType box or mask IoU
     * @param maxDets the per-image detection limits, e.g. {@link CocoParams#DEFAULT_MAX_DETS}; any positive values
     * @throws dev.maskrt.error.InputFormatException naming file, record and field when either file is malformed
     * @return pycocotools' twelve stats (and their names), its printed table and each category's AP
     * @throws IllegalArgumentException if {@code maxDets} is empty or holds a value below 1
     * @throws java.io.IOException when a file cannot be read
     */
    public static CocoSummary evaluate(Path gtJson, Path resultsJson, IouType iouType, int[] maxDets) throws IOException {
        return evaluate(gtJson, resultsJson, iouType, maxDets, 0);
    }

    /**
     * As {@link #evaluate(Path, Path, IouType, int[])} on {@code threads} threads; the result does not depend on the
     * thread count.
     *
     * @param gtJson a COCO ground truth
     * @param resultsJson COCO results
     * @param iouType box or mask IoU
     * @param maxDets the per-image detection limits, any positive values
     * @param threads worker threads, 0 for all cores
     * @return pycocotools' twelve stats (and their names), its printed table and each category's AP
     * @throws dev.maskrt.error.InputFormatException naming file, record and field when either file is malformed
     * @throws java.io.IOException when a file cannot be read
     */
    public static CocoSummary evaluate(Path gtJson, Path resultsJson, IouType iouType, int[] maxDets, int threads)
            throws IOException {
        Objects.requireNonNull(gtJson, "gtJson");
        return evaluate(CocoGroundTruth.load(gtJson), resultsJson, iouType, maxDets, threads);
    }

    /**
     * As above with an already loaded ground truth (to evaluate several results files against one).
     *
     * @param gt the loaded ground truth
     * @param resultsJson COCO results
     * @param iouType box or mask IoU
     * @param maxDets the per-image detection limits, any positive values
     * @param threads worker threads, 0 for all cores
     * @return pycocotools' twelve stats (and their names), its printed table and each category's AP
     * @throws dev.maskrt.error.InputFormatException naming the results file, record and field when it is malformed
     * @throws java.io.IOException when a file cannot be read
     */
    public static CocoSummary evaluate(CocoGroundTruth gt, Path resultsJson, IouType iouType, int[] maxDets,
            int threads) throws IOException {
        try (Workers workers = Workers.of(threads)) {
            return evaluate(gt, resultsJson, iouType, maxDets, workers);
        }
    }

    static CocoSummary evaluate(CocoGroundTruth gt, Path resultsJson, IouType iouType, int[] maxDets,
            Workers workers) throws IOException {
        Objects.requireNonNull(gt, "gt");
        Objects.requireNonNull(resultsJson, "resultsJson");
        Objects.requireNonNull(iouType, "iouType");
        int[] sorted = CocoParams.maxDets(maxDets);
        Annotations results = CocoResults.load(resultsJson, gt, iouType);
        return new CocoEvaluator(gt, results, iouType, sorted).run(workers);
    }
}
