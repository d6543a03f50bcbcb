package dev.maskrt.cascade;

import dev.maskrt.model.AnchorSettings;
import dev.maskrt.model.RpnSettings;
import dev.maskrt.ops.Anchors;
import dev.maskrt.ops.BoxTransform;
import dev.maskrt.ops.FeatureMap;
import dev.maskrt.ops.Nms;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * detectron2's RPN inference ({@code find_top_rpn_proposals}) for one image of a batch: per level the top
 * {@code pre_nms_topk} logits and their decoded anchors; over all levels drop non-finite, clip, drop small, NMS per
 * level, keep the first {@code post_nms_topk}. Thread-safe (the anchor grids are cached in a concurrent map).
 */
final class ProposalGenerator {
    private static final int MAX_CACHED_GRIDS = 256;

    private final AnchorSettings anchors;
    private final RpnSettings rpn;
    private final BoxTransform boxes;
    private final Nms nms;
    private final float[][] cellAnchors;
    private final Map<Long, float[]> gridCache = new ConcurrentHashMap<>();

    ProposalGenerator(AnchorSettings anchors, RpnSettings rpn, BoxTransform boxes, Nms nms) {
        this.anchors = anchors;
        this.rpn = rpn;
        this.boxes = boxes;
        this.nms = nms;
        double[][] sizes = anchors.sizes(), ratios = anchors.aspectRatios();
        cellAnchors = new float[anchors.levels()][];
        for (int l = 0; l < cellAnchors.length; l++) cellAnchors[l] = Anchors.cellAnchors(sizes[l], ratios[l]);
    }

    /** Proposals of image {@code n} of the batch, whose resized (unpadded) size is {@code height × width}. */
    Proposals propose(BackboneOutput out, int n, int height, int width) {
        int levels = anchors.levels();
        int a = anchors.anchorsPerCell();
        float[][] levelBoxes = new float[levels][];
        float[][] levelScores = new float[levels][];
        int total = 0;
        for (int l = 0; l < levels; l++) {
            FeatureMap f = out.features[l];
            int gh = f.height(), gw = f.width(), cells = gh * gw;
            // logits [A, H, W] of image n, flattened in (H, W, A) order like the anchors
            float[] logits = new float[cells * a];
            int base = n * a * cells;
            for (int k = 0; k < a; k++) {
                for (int c = 0; c < cells; c++) logits[c * a + k] = out.logits[l][base + k * cells + c];
            }
            int[] top = nms.topK(logits, rpn.preNmsTopk());
            float[] grid = grid(l, gh, gw);
            float[] deltas = new float[4 * top.length], refs = new float[4 * top.length], scores = new float[top.length];
            int deltaBase = n * 4 * a * cells;
            for (int i = 0; i < top.length; i++) {
                int idx = top[i], cell = idx / a, k = idx % a;
                scores[i] = logits[idx];
                System.arraycopy(grid, 4 * idx, refs, 4 * i, 4);
                for (int j = 0; j < 4; j++) deltas[4 * i + j] = out.deltas[l][deltaBase + (4 * k + j) * cells + cell];
            }
            levelBoxes[l] = boxes.applyDeltas(deltas, refs, rpn.bboxRegWeights(), rpn.scaleClamp());
            levelScores[l] = scores;
            total += top.length;
        }
        float[] allBoxes = new float[4 * total], allScores = new float[total];
        int[] allLevels = new int[total];
        int o = 0;
        for (int l = 0; l < levels; l++) {
            System.arraycopy(levelBoxes[l], 0, allBoxes, 4 * o, levelBoxes[l].length);
            System.arraycopy(levelScores[l], 0, allScores, o, levelScores[l].length);
            java.util.Arrays.fill(allLevels, o, o + levelScores[l].length, l);
            o += levelScores[l].length;
        }
        Selection s = new Selection(allBoxes, allScores, allLevels).keep(boxes.finite(allBoxes, allScores));
        boxes.clip(s.boxes, height, width);
        s = s.keep(boxes.nonEmpty(s.boxes, rpn.minBoxSize()));
        // NMS within each level (level id as the group), then the best post_nms_topk over all levels
        int[] kept = nms.batchedNms(s.boxes, s.scores, s.groups, rpn.nmsThreshold());
        if (kept.length > rpn.postNmsTopk()) kept = java.util.Arrays.copyOf(kept, rpn.postNmsTopk());
        s = s.keep(kept);
        return new Proposals(s.boxes, s.scores);
    }

    private float[] grid(int level, int gh, int gw) {
        long key = ((long) level << 48) | ((long) gh << 24) | gw;
        if (gridCache.size() > MAX_CACHED_GRIDS) gridCache.clear(); // many image sizes: start over
        return gridCache.computeIfAbsent(key, k ->
                Anchors.gridAnchors(gh, gw, anchors.strides()[level], anchors.offset(), cellAnchors[level]));
    }
}
