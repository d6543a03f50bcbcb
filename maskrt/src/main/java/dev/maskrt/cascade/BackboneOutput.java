package dev.maskrt.cascade;

import dev.maskrt.engine.HostTensor;
import dev.maskrt.model.AnchorSettings;
import dev.maskrt.model.TensorNames;
import dev.maskrt.ops.FeatureMap;
import java.util.Map;

/**
 * The backbone's outputs for one padded batch, per RPN level (finest first): the FPN feature map
 * {@code [N, C, H_l, W_l]} and the RPN logits {@code [N, A, H_l, W_l]} and deltas {@code [N, 4A, H_l, W_l]}.
 * Read-only after construction; safe to share between threads.
 */
final class BackboneOutput {
    final FeatureMap[] features;
    final float[][] logits;
    final float[][] deltas;

    BackboneOutput(Map<String, HostTensor> out, AnchorSettings anchors) {
        int levels = anchors.levels();
        features = new FeatureMap[levels];
        logits = new float[levels][];
        deltas = new float[levels][];
        for (int l = 0; l < levels; l++) {
            String name = anchors.featureName(l);
            HostTensor p = out.get(name);
            features[l] = new FeatureMap(Tensors.array(p), (int) p.dim(0), (int) p.dim(1), (int) p.dim(2),
                    (int) p.dim(3), 1f / anchors.strides()[l]);
            logits[l] = Tensors.array(out.get(TensorNames.rpnLogits(name)));
            deltas[l] = Tensors.array(out.get(TensorNames.rpnDeltas(name)));
        }
    }

    /** The feature maps named {@code names}, in that order. */
    FeatureMap[] select(java.util.List<String> names, AnchorSettings anchors) {
        FeatureMap[] out = new FeatureMap[names.size()];
        for (int i = 0; i < out.length; i++) {
            for (int l = 0; l < anchors.levels(); l++) {
                if (anchors.featureName(l).equals(names.get(i))) out[i] = features[l];
            }
        }
        return out;
    }
}
