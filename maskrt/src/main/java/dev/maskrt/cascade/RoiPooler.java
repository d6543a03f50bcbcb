package dev.maskrt.cascade;

import dev.maskrt.engine.LeasedTensor;
import dev.maskrt.model.PoolerSettings;
import dev.maskrt.ops.FeatureMap;
import dev.maskrt.ops.LevelMapping;
import dev.maskrt.ops.RoiAlign;
import java.util.Arrays;

/**
 * detectron2's {@code ROIPooler} for one pooler of the manifest: multi-level RoIAlign of one image's boxes, each
 * from the level {@code floor(canonical_level + log2(sqrt(area) / canonical_box_size + 1e-8))} clamped to the
 * pooler's levels (maskrcnn-benchmark's {@code Pooler}: the same with inclusive areas and {@code eps = 1e-6}).
 * Thread-safe.
 */
final class RoiPooler {
    private final PoolerSettings settings;
    private final RoiAlign roiAlign;
    private final LevelMapping mapping;

    RoiPooler(PoolerSettings settings, RoiAlign roiAlign) {
        this(settings, roiAlign, LevelMapping.detectron2(settings.canonicalBoxSize(), settings.canonicalLevel(),
                LevelMapping.DETECTRON2_EPS_LEGACY));
    }

    /** With the level mapping of the model's conventions ({@link BoxRules#levelMapping}). */
    RoiPooler(PoolerSettings settings, RoiAlign roiAlign, LevelMapping mapping) {
        this.settings = settings;
        this.roiAlign = roiAlign;
        this.mapping = mapping;
    }

    int resolution() { return settings.resolution(); }

    /** {@code [R, C, S, S]} pooled features of boxes {@code float[4R]} of image {@code n} of the batch. */
    float[] pool(FeatureMap[] levels, float[] boxes, int n) {
        int s = settings.resolution();
        return roiAlign.multiLevel(levels, boxes, batchIndex(boxes, n), s, s, settings.samplingRatio(),
                settings.aligned(), mapping);
    }

    /**
     * {@link #pool(FeatureMap[], float[], int)} into a new leased tensor {@code [R, C, S, S]} (the caller closes it):
     * the features go straight to a head's input, with no array in between.
     */
    LeasedTensor poolLeased(FeatureMap[] levels, float[] boxes, int n) {
        int s = settings.resolution();
        LeasedTensor pooled = LeasedTensor.take(boxes.length / 4, levels[0].channels(), s, s);
        try {
            roiAlign.multiLevel(levels, boxes, batchIndex(boxes, n), s, s, settings.samplingRatio(), settings.aligned(),
                    mapping, pooled.values());
            return pooled;
        } catch (RuntimeException e) {
            pooled.close();
            throw e;
        }
    }

    private static int[] batchIndex(float[] boxes, int n) {
        int[] batchIndex = new int[boxes.length / 4];
        Arrays.fill(batchIndex, n);
        return batchIndex;
    }
}
