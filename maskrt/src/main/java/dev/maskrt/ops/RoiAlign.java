package dev.maskrt.ops;

import java.nio.FloatBuffer;

/**
 * RoIAlign (Mask R-CNN): average-pools a fixed {@code outputHeight x outputWidth} grid of bilinear samples from
 * a feature map over each region of interest, exactly as {@code torchvision.ops.roi_align} (single level) and
 * detectron2's {@code ROIPooler} (several FPN levels) compute it.
 *
 * <p>Conventions shared by both methods:
 * <ul>
 *   <li>{@code rois} is {@code [R, 4]} row-major, {@code (x0, y0, x1, y1)} per RoI in image pixels (the feature
 *       map's {@link FeatureMap#spatialScale()} maps them onto it); {@code batchIndex[r]} is the image of RoI
 *       {@code r} in the feature maps' batch.</li>
 *   <li>The result is a new {@code float[R * C * outputHeight * outputWidth]}, NCHW: RoI {@code r}, channel
 *       {@code c}, bin {@code (ph, pw)} at {@code ((r * C + c) * outputHeight + ph) * outputWidth + pw}, in the
 *       order of the input RoIs. No RoIs give an empty array.</li>
 *   <li>{@code aligned = true} (detectron2's ROIAlignV2) shifts RoI corners by -0.5 feature pixel so that
 *       sample points fall on pixel centres; {@code aligned = false} (the original RoIAlign, torchvision's
 *       {@code MultiScaleRoIAlign}) does not, and stretches RoIs smaller than 1 feature pixel to 1.</li>
 *   <li>{@code samplingRatio > 0} takes {@code samplingRatio x samplingRatio} samples per bin; {@code 0} takes
 *       {@code ceil(roiHeight / outputHeight) x ceil(roiWidth / outputWidth)} (adaptive; an empty or inverted
 *       aligned RoI then has no samples and pools to 0).</li>
 *   <li>Samples beyond one pixel outside the map ({@code y < -1}, {@code y > height}, likewise x) count as 0;
 *       samples in {@code [-1, 0]} are clamped to 0 and samples past the last row/column to it.</li>
 * </ul>
 * Results agree with the references to float rounding (the summation order differs; see the implementation).
 *
 * <p>Bad arguments throw {@link IllegalArgumentException} naming the argument: {@code rois} not a multiple of
 * 4 long or holding a NaN or infinite coordinate, {@code batchIndex} of the wrong length or out of range,
 * {@code samplingRatio < 0}, an output size {@code < 1}, levels that do not form a pyramid.
 *
 * <p>Implementations are thread-safe: one instance may serve concurrent calls.
 */
public interface RoiAlign {

    /**
     * Single-level RoIAlign, {@code torchvision.ops.roi_align(features, rois, (outputHeight, outputWidth),
     * features.spatialScale(), samplingRatio, aligned)}.
     *
     * @param features {@code [N, C, H, W]}
     * @param rois {@code [R, 4]} boxes {@code (x0, y0, x1, y1)}, image pixels
     * @param batchIndex {@code [R]}, each in {@code [0, N)}
     * @param outputHeight bins per RoI vertically, {@code >= 1}
     * @param outputWidth bins per RoI horizontally, {@code >= 1}
     * @param samplingRatio samples per bin side, {@code >= 0}; 0 = adaptive
     * @param aligned half-pixel shift (see the class comment)
     * @return {@code [R, C, outputHeight, outputWidth]}
     */
    float[] roiAlign(FeatureMap features, float[] rois, int[] batchIndex, int outputHeight, int outputWidth,
            int samplingRatio, boolean aligned);

    /**
     * Multi-level RoIAlign over a feature pyramid, detectron2's {@code ROIPooler}: each RoI is pooled from the
     * level that {@code mapping} assigns it (RoIs assigned to no level give zeros), results in input order.
     * Level numbers come from the scales as in detectron2: level {@code k = -log2(spatialScale)}; {@code levels[0]}
     * is the finest and each next level must have half the previous scale. With a single level every RoI is
     * pooled from it and {@code mapping} is not consulted (as in detectron2 and torchvision).
     *
     * @param levels {@code [N, C, H_k, W_k]} for consecutive levels, finest first; same N and C
     * @param rois {@code [R, 4]} boxes {@code (x0, y0, x1, y1)}, image pixels
     * @param batchIndex {@code [R]}, each in {@code [0, N)}
     * @param outputHeight bins per RoI vertically, {@code >= 1}
     * @param outputWidth bins per RoI horizontally, {@code >= 1}
     * @param samplingRatio samples per bin side, {@code >= 0}; 0 = adaptive
     * @param aligned half-pixel shift: true for detectron2's ROIAlignV2 and mmdetection, false for
     *     torchvision's {@code MultiScaleRoIAlign}
     * @param mapping assigns RoIs to levels
     * @return {@code [R, C, outputHeight, outputWidth]}
     */
    float[] multiLevel(FeatureMap[] levels, float[] rois, int[] batchIndex, int outputHeight, int outputWidth,
            int samplingRatio, boolean aligned, LevelMapping mapping);

    /**
     * {@link #multiLevel(FeatureMap[], float[], int[], int, int, int, boolean, LevelMapping)} writing its
     * {@code R * C * outputHeight * outputWidth} values, in the same layout, into {@code out} from its position
     * (position and limit unchanged) instead of a new array: the pipeline pools straight into an engine's input
     * this way. Every value is written, zeros included, so {@code out} need not be cleared.
     *
     * @param out at least {@code R * C * outputHeight * outputWidth} values remaining
     * @throws IllegalArgumentException as the array form, and when {@code out} is null or has too few values
     *                                  remaining
     */
    default void multiLevel(FeatureMap[] levels, float[] rois, int[] batchIndex, int outputHeight, int outputWidth,
            int samplingRatio, boolean aligned, LevelMapping mapping, FloatBuffer out) {
        RoiAlignChecks.multi(levels, rois, batchIndex, outputHeight, outputWidth, samplingRatio, mapping);
        RoiAlignChecks.output(out, levels[0].channels(), rois.length / 4, outputHeight, outputWidth);
        out.duplicate().put(multiLevel(levels, rois, batchIndex, outputHeight, outputWidth, samplingRatio, aligned,
                mapping));
    }
}
