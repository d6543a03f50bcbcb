package dev.maskrt.model;

import java.util.List;

/**
 * A multi-level RoIAlign of the ROI heads (detectron2 {@code ROIPooler}): {@code roi_heads.box_pooler} or
 * {@code roi_heads.mask_pooler} in the manifest.
 *
 * @param resolution output bins per side (7 for boxes, 14 for masks)
 * @param samplingRatio samples per bin side; 0 = adaptive {@code ceil(roi / bin)}
 * @param aligned true for {@code "ROIAlignV2"} (half-pixel shift), false for {@code "ROIAlign"}
 * @param canonicalBoxSize box size (sqrt of area) that maps to {@code canonicalLevel}
 * @param canonicalLevel level of a canonical box
 * @param levels backbone feature names pooled from, finest first, consecutive (e.g. p2..p5)
 * @param finestScale mmdetection's {@code finest_scale} (its level mapping, conventions {@code level_mapper:
 *     "mmdetection"}): boxes below {@code 2 · finestScale} pixels go to the first level; 56 when absent
 */
public record PoolerSettings(int resolution, int samplingRatio, boolean aligned, int canonicalBoxSize,
        int canonicalLevel, List<String> levels, int finestScale) {
    /** mmdetection's default {@code finest_scale}. */
    public static final int DEFAULT_FINEST_SCALE = 56;

    public PoolerSettings {
        levels = List.copyOf(levels);
    }
}
