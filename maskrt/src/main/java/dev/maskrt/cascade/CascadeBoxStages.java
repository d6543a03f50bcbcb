package dev.maskrt.cascade;

import dev.maskrt.config.StageTimer;

import dev.maskrt.engine.Engine;
import dev.maskrt.engine.HostTensor;
import dev.maskrt.engine.LeasedTensor;
import dev.maskrt.model.RoiHeadSettings;
import dev.maskrt.model.TensorNames;
import dev.maskrt.ops.FeatureMap;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The box stages of detectron2's ROI heads at inference. {@code CascadeROIHeads._forward_box}: for each stage k,
 * pool the current boxes, run box head k, take the softmax of its class logits and decode its class-agnostic deltas
 * with the stage's weights; those boxes, clipped, feed stage k + 1; scores are the mean of all stages'
 * probabilities. {@code StandardROIHeads._forward_box} (Mask / Faster R-CNN) is the same with one stage, whose
 * regression may be class-specific ({@code box_deltas [R, 4K]}: every proposal decoded once per class,
 * {@code FastRCNNOutputLayers.predict_boxes}). With mmdetection's conventions ({@code cascade_scores:
 * "softmax_of_mean_logits"}) the scores are the softmax of the stages' mean logits instead. Thread-safe.
 */
final class CascadeBoxStages {
    private final RoiHeadSettings settings;
    private final List<Engine> heads;
    private final RoiPooler pooler;
    private final BoxRules rules;

    /** With the box rules of the model's conventions (maskrcnn-benchmark: BoxCoder.decode with inclusive boxes). */
    CascadeBoxStages(RoiHeadSettings settings, List<Engine> heads, RoiPooler pooler, BoxRules rules) {
        this.settings = settings;
        this.heads = List.copyOf(heads);
        this.pooler = pooler;
        this.rules = rules;
    }

    int stages() { return heads.size(); }

    /**
     * Runs every stage on {@code proposals} ({@code float[4R]}, R >= 1) of image {@code n}, whose resized size is
     * {@code height × width}; {@code timer} gets one entry per stage.
     */
    StageOutput run(FeatureMap[] levels, float[] proposals, int n, int height, int width, StageTimer timer) {
        int r = proposals.length / 4;
        float[] current = proposals;
        List<float[]> stageBoxes = new ArrayList<>(), stageProbs = new ArrayList<>();
        float[] sum = null, logitSum = null;
        boolean meanLogits = rules.conventions().meanLogitCascadeScores();
        for (int k = 0; k < heads.size(); k++) {
            long start = System.nanoTime();
            if (k > 0) {
                current = current.clone();
                // detectron2 clips the previous stage's boxes but keeps empty ones, so rows stay aligned across stages
                rules.clip(current, height, width);
            }
            Map<String, HostTensor> out;
            try (LeasedTensor pooled = pooler.poolLeased(levels, current, n)) {
                out = heads.get(k).run(Map.of(TensorNames.FEATURES, pooled.tensor()));
            }
            float[] logits = Tensors.array(out.get(TensorNames.CLASS_LOGITS));
            float[] probs = Activations.rows(logits, r);
            if (meanLogits) {
                if (logitSum == null) logitSum = logits.clone();
                else for (int i = 0; i < logitSum.length; i++) logitSum[i] += logits[i]; // sum() in stage order
            }
            float[] deltas = Tensors.array(out.get(TensorNames.BOX_DELTAS));
            // class-specific deltas [R, 4K] (one stage only): the proposal repeated per class, as apply_deltas
            // broadcasts each row's box over its K delta groups
            float[] reference = deltas.length == current.length ? current : perClass(current, deltas.length / current.length);
            current = rules.decode(deltas, reference, settings.stageWeights(k), settings.scaleClamp());
            stageBoxes.add(current);
            stageProbs.add(probs);
            if (sum == null) {
                sum = probs.clone();
            } else {
                for (int i = 0; i < sum.length; i++) sum[i] += probs[i]; // ((p0 + p1) + p2), in stage order
            }
            timer.add("box stage " + k, System.nanoTime() - start);
        }
        if (meanLogits) {
            // mmdetection (cascade_roi_head.py simple_test): sum(stage logits) / float(stages), then softmax
            float stages = heads.size();
            for (int i = 0; i < logitSum.length; i++) logitSum[i] /= stages;
            return new StageOutput(Activations.rows(logitSum, r), current, stageBoxes, stageProbs);
        }
        float inv = (float) (1.0 / heads.size()); // detectron2 multiplies by the Python float 1/stages
        for (int i = 0; i < sum.length; i++) sum[i] *= inv;
        return new StageOutput(sum, current, stageBoxes, stageProbs);
    }

    /** Each box of {@code boxes} ({@code float[4R]}) repeated {@code k} times: {@code float[4Rk]}. */
    private static float[] perClass(float[] boxes, int k) {
        float[] out = new float[boxes.length * k];
        for (int r = 0, o = 0; r < boxes.length; r += 4) {
            for (int c = 0; c < k; c++, o += 4) System.arraycopy(boxes, r, out, o, 4);
        }
        return out;
    }
}
