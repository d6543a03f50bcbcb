package dev.maskrt.model;

/**
 * The manifest's {@code conventions}: the rules in which trainers' R-CNNs differ, so that one pipeline serves them
 * all ({@code docs/MODEL_PACKAGE.md}, "Conventions"). A package without the section (every detectron2 package) has
 * {@link #DETECTRON2}; a {@code maskrcnn_benchmark} package carries {@link #MASKRCNN_BENCHMARK}'s values, an
 * {@code mmdetection} package {@link #MMDETECTION}'s. Immutable.
 *
 * @param plusOneBoxes {@code box_coordinates: "plus_one"}: boxes are inclusive pixel ranges (width
 *     {@code x1 - x0 + 1}) in decoding, clipping (to {@code W - 1}), the minimum-size filter, areas and level
 *     mapping; {@code "continuous"}: detectron2's
 * @param maskrcnnBenchmarkAnchors {@code anchor_generator: "maskrcnn_benchmark"}: cell anchors from a
 *     {@code [0, 0, stride - 1, stride - 1]} base with rounding; {@code "detectron2"}: centred, unrounded
 * @param plusOneNms {@code nms: "plus_one_iou_ge"}: NMS on inclusive areas suppressing at {@code IoU >= t};
 *     {@code "torchvision_iou_gt"}: torchvision's
 * @param rpnPostNmsTopkPerLevel {@code rpn_post_nms_topk_per_level}: proposals kept per level after its NMS before
 *     the best {@code rpn.post_nms_topk} over all levels are taken; 0 (absent) for detectron2's single cut
 * @param levelMapperEps {@code level_mapper_eps}: the {@code eps} inside the level formula's {@code log2}
 * @param perClassKthvalue {@code detections: "per_class_kthvalue"}: final detections class by class (NMS per class,
 *     survivors in proposal order), cut to {@code detections_per_image} by {@code kthvalue} keeping ties;
 *     {@code "batched_topk"}: detectron2's
 * @param scaleOnlyPostprocess {@code postprocess: "scale_only"}: boxes scaled to the original image, neither clipped
 *     nor dropped; {@code "clip_drop_empty"}: detectron2's detector_postprocess
 * @param maskerPaste {@code mask_paste: "maskrcnn_benchmark_masker"}: maskrcnn-benchmark's Masker (padding, box
 *     expansion, integer boxes, {@code > threshold}); {@code "detectron2_grid_sample"}: detectron2's
 * @param maskrcnnBenchmarkResize {@code resize: "maskrcnn_benchmark"}: its {@code Resize.get_size} ({@code int()}
 *     of the long side); {@code "detectron2"}: ResizeShortestEdge
 * @param exifOrientation {@code exif_orientation}: whether images are turned upright by their EXIF tag
 * @param plusOneCocoWidth {@code coco_bbox: "xywh_plus_one"}: COCO boxes {@code [x0, y0, x1 - x0 + 1, y1 - y0 + 1]}
 *     and separate {@code bbox.json} / {@code segm.json} as its {@code coco_eval.py} writes them; {@code "xywh"}
 * @param mmdetectionAnchors {@code anchor_generator: "mmdetection"}: mmdetection's {@code AnchorGenerator} cell
 *     anchors (float32 {@code sqrt(ratio)} arithmetic, ratio-major)
 * @param mmcvNms {@code nms: "mmcv_iou_ge"}: mmcv's NMS, suppressing at {@code IoU >= float(t)} (continuous boxes)
 * @param mmdetectionLevelMapper {@code level_mapper: "mmdetection"}: {@code SingleRoIExtractor.map_roi_levels}
 *     with the pooler's {@code finest_scale}
 * @param mmdetectionBoxCoder {@code box_coder: "mmdetection_delta_xywh"}: {@code DeltaXYWHBBoxCoder.decode}
 *     (deltas times the target stds {@code 1 / weight}, symmetric clamp, clipped to the resized image)
 * @param meanLogitCascadeScores {@code cascade_scores: "softmax_of_mean_logits"}: a cascade's score is the softmax of
 *     the stages' mean logits (mmdetection), not the mean of their softmaxes (detectron2)
 * @param rescaleFirstPostprocess {@code postprocess: "mmdetection_rescale_first"}: boxes divided by the resize's
 *     scale factors before the score threshold and NMS, never clipped or dropped afterwards
 * @param mmdetectionResize {@code resize: "mmdetection"}: mmcv's {@code imrescale} size rule, OpenCV bilinear
 *     interpolation and {@code imnormalize} (times {@code 1 / std})
 */
public record Conventions(boolean plusOneBoxes, boolean maskrcnnBenchmarkAnchors, boolean plusOneNms,
        int rpnPostNmsTopkPerLevel, double levelMapperEps, boolean perClassKthvalue, boolean scaleOnlyPostprocess,
        boolean maskerPaste, boolean maskrcnnBenchmarkResize, boolean exifOrientation, boolean plusOneCocoWidth,
        boolean mmdetectionAnchors, boolean mmcvNms, boolean mmdetectionLevelMapper, boolean mmdetectionBoxCoder,
        boolean meanLogitCascadeScores, boolean rescaleFirstPostprocess, boolean mmdetectionResize) {

    /** detectron2's rules (the pipeline of docs/MODEL_PACKAGE.md). */
    public static final Conventions DETECTRON2 = new Conventions(false, false, false, 0, 1e-8, false, false, false,
            false, true, false, false, false, false, false, false, false, false);

    /** maskrcnn-benchmark's rules with its default {@code POST_NMS_TOP_N_TEST} of 1000 per level. */
    public static final Conventions MASKRCNN_BENCHMARK = new Conventions(true, true, true, 1000, 1e-6, true, true, true,
            true, false, true, false, false, false, false, false, false, false);

    /** mmdetection's rules (v2.x {@code TwoStageDetector.simple_test}). */
    public static final Conventions MMDETECTION = new Conventions(false, false, false, 0, 1e-6, false, false, false,
            false, true, false, true, true, true, true, true, true, true);

    /** Whether every rule is detectron2's. */
    public boolean isDetectron2() {
        return equals(DETECTRON2);
    }
}
