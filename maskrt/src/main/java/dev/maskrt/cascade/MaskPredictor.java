package dev.maskrt.cascade;

import dev.maskrt.engine.Engine;
import dev.maskrt.engine.HostTensor;
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

    /** Mask probabilities of {@code n >= 1} detections of image {@code image}. */
    MaskProbabilities predict(FeatureMap[] levels, Detections detections, int image) {
        int n = detections.count(), s = pooler.resolution();
        float[] pooled = pooler.pool(levels, detections.boxes(), image);
        int channels = pooled.length / (n * s * s);
        Map<String, HostTensor> out = head.run(Map.of(TensorNames.FEATURES, HostTensor.wrap(pooled, n, channels, s, s)));
        // mmdetection's averaged cascade heads give probabilities already (mask_probs)
        boolean probabilities = out.containsKey(TensorNames.MASK_PROBS);
        HostTensor logits = probabilities ? out.get(TensorNames.MASK_PROBS) : out.get(TensorNames.MASK_LOGITS);
        int k = (int) logits.dim(1), mh = (int) logits.dim(2), mw = (int) logits.dim(3), plane = mh * mw;
        float[] all = Tensors.array(logits);
        float[] probs = new float[n * plane];
        for (int i = 0; i < n; i++) {
            int channel = classAgnostic ? 0 : detections.classes()[i];
            int from = (i * k + channel) * plane;
            if (probabilities) System.arraycopy(all, from, probs, i * plane, plane);
            else for (int p = 0; p < plane; p++) probs[i * plane + p] = Activations.sigmoid(all[from + p]);
        }
        return new MaskProbabilities(probs, mh, mw);
    }
}
