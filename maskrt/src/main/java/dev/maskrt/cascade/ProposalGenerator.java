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
    private final BoxRules rules;
    private final float[][] cellAnchors;
    private final Map<Long, float[]> gridCache = new ConcurrentHashMap<>();

    /** With the box rules of the model's conventions (detectron2's or maskrcnn-benchmark's). */
    ProposalGenerator(AnchorSettings anchors, RpnSettings rpn, BoxRules rules) {
        this.anchors = anchors;
        this.rpn = rpn;
        this.boxes = rules.boxOp();
        this.nms = rules.nmsOp();
        this.rules = rules;
        double[][] sizes = anchors.sizes(), ratios = anchors.aspectRatios();
        int[] strides = anchors.strides();
        cellAnchors = new float[anchors.levels()][];
        for (int l = 0; l < cellAnchors.length; l++) {
            if (rules.conventions().mmdetectionAnchors()) {
                double[] scales = new double[sizes[l].length]; // the manifest's sizes are stride · scale
                for (int i = 0; i < scales.length; i++) scales[i] = sizes[l][i] / strides[l];
                cellAnchors[l] = Anchors.mmdetectionCellAnchors(strides[l], scales, ratios[l]);
            } else {
                cellAnchors[l] = rules.conventions().maskrcnnBenchmarkAnchors()
                        ? Anchors.maskrcnnBenchmarkCellAnchors(strides[l], sizes[l], ratios[l])
                        : Anchors.cellAnchors(sizes[l], ratios[l]);
            }
        }
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
            levelBoxes[l] = rules.decode(deltas, refs, rpn.bboxRegWeights(), rpn.scaleClamp());
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
        rules.clip(s.boxes, height, width);
        s = s.keep(rules.minSize(s.boxes, rpn.minBoxSize()));
        int perLevel = rules.conventions().rpnPostNmsTopkPerLevel();
        if (perLevel > 0) return perLevelThenBest(s, levels, perLevel);
        // NMS within each level (level id as the group), then the best post_nms_topk over all levels
        int[] kept = rules.batched(s.boxes, s.scores, s.groups, rpn.nmsThreshold());
        if (kept.length > rpn.postNmsTopk()) kept = java.util.Arrays.copyOf(kept, rpn.postNmsTopk());
        s = s.keep(kept);
        return new Proposals(s.boxes, s.scores);
    }

    /**
     * maskrcnn-benchmark's RPNPostProcessor (rpn/inference.py:110-121 per level, :154-181 over levels at test time):
     * each level's NMS (its boxes are in descending score order already) keeps at most {@code perLevel}; then the
     * best {@code post_nms_topk} of all levels' survivors, in descending score order.
     */
    private Proposals perLevelThenBest(Selection s, int levels, int perLevel) {
        int[] keptAll = new int[s.count()];
        int n = 0;
        for (int l = 0; l < levels; l++) {
            int count = 0;
            int[] members = new int[s.count()];
            for (int i = 0; i < s.count(); i++) if (s.groups[i] == l) members[count++] = i;
            Selection level = s.keep(java.util.Arrays.copyOf(members, count));
            int[] kept = rules.nms(level.boxes, level.scores, rpn.nmsThreshold());
            for (int k = 0; k < Math.min(kept.length, perLevel); k++) keptAll[n++] = members[kept[k]];
        }
        Selection survivors = s.keep(java.util.Arrays.copyOf(keptAll, n));
        survivors = survivors.keep(nms.topK(survivors.scores, rpn.postNmsTopk()));
        return new Proposals(survivors.boxes, survivors.scores);
    }

    private float[] grid(int level, int gh, int gw) {
        long key = ((long) level << 48) | ((long) gh << 24) | gw;
        if (gridCache.size() > MAX_CACHED_GRIDS) gridCache.clear(); // many image sizes: start over
        return gridCache.computeIfAbsent(key, k ->
                Anchors.gridAnchors(gh, gw, anchors.strides()[level], anchors.offset(), cellAnchors[level]));
    }
}
