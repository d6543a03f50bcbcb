package dev.maskrt.cascade;

import dev.maskrt.engine.Engine;
import dev.maskrt.engine.HostTensor;
import dev.maskrt.engine.LeasedTensor;
import dev.maskrt.model.TensorNames;
import dev.maskrt.ops.FeatureMap;
import java.util.Map;

/**
 * detectron2's {@code MaskRCNNConvUpsampleHead} at inference: pool the final boxes, run the mask head, keep each
 * detection's class channel (channel 0 when class-agnostic) and apply the sigmoid (not for a graph that gives
 * {@code mask_probs}, mmdetection's averaged cascade heads). Thread-safe.
 */
final class MaskPredictor {
    private final Engine head;
    private final RoiPooler pooler;
    private final boolean classAgnostic;

    MaskPredictor(Engine head, RoiPooler pooler, boolean classAgnostic) {
        this.head = head;
        this.pooler = pooler;
        this.classAgnostic = classAgnostic;
    }

    /**
     * Mask probabilities of {@code n >= 1} detections of image {@code image}. The RoIs are independent, so the head
     * runs on as many at once as its engine prefers ({@link Engine#preferredRowsPerRun}).
     */
    MaskProbabilities predict(FeatureMap[] levels, Detections detections, int image) {
        try (LeasedTensor pooled = pooler.poolLeased(levels, detections.boxes(), image)) {
            int n = detections.count();
            int rowsPerRun = Math.min(n, head.preferredRowsPerRun(4L * Math.max(1, pooled.size() / n)));
            float[] probs = null;
            int mh = 0, mw = 0;
            for (int first = 0; first < n; first += rowsPerRun) {
                int m = Math.min(rowsPerRun, n - first);
                Map<String, HostTensor> out = head.run(Map.of(TensorNames.FEATURES, pooled.rows(first, m)));
                // mmdetection's averaged cascade heads give probabilities already (mask_probs)
                boolean probabilities = out.containsKey(TensorNames.MASK_PROBS);
                HostTensor logits = probabilities ? out.get(TensorNames.MASK_PROBS) : out.get(TensorNames.MASK_LOGITS);
                int k = (int) logits.dim(1), plane = (int) (logits.dim(2) * logits.dim(3));
                if (probs == null) {
                    mh = (int) logits.dim(2);
                    mw = (int) logits.dim(3);
                    probs = new float[n * plane];
                }
                float[] all = Tensors.array(logits);
                for (int i = 0; i < m; i++) {
                    int channel = classAgnostic ? 0 : detections.classes()[first + i];
                    int from = (i * k + channel) * plane, to = (first + i) * plane;
                    if (probabilities) System.arraycopy(all, from, probs, to, plane);
                    else for (int p = 0; p < plane; p++) probs[to + p] = Activations.sigmoid(all[from + p]);
                }
            }
            return new MaskProbabilities(probs, mh, mw);
        }
    }
}
