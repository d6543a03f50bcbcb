package dev.maskrt.model;

/** The graph tensor names that {@code docs/MODEL_PACKAGE.md} fixes for every model package. */
public final class TensorNames {
    /** The backbone's input: the normalised, padded batch {@code [N, 3, H, W]}. */
    public static final String IMAGE = "image";
    /** The RoI heads' input: pooled features {@code [R, C, S, S]}. */
    public static final String FEATURES = "features";
    /** Box head output {@code [R, K + 1]}, background last. */
    public static final String CLASS_LOGITS = "class_logits";
    /** Box head output {@code [R, 4]}, class-agnostic deltas. */
    public static final String BOX_DELTAS = "box_deltas";
    /** Mask head output {@code [R, K, M, M]} ({@code [R, 1, M, M]} when class-agnostic). */
    public static final String MASK_LOGITS = "mask_logits";
    /**
     * Mask head output {@code [R, K, M, M]} of probabilities instead of {@link #MASK_LOGITS}: mmdetection's Cascade
     * Mask R-CNN averages its stages' mask heads' sigmoids in the graph.
     */
    public static final String MASK_PROBS = "mask_probs";

    private TensorNames() {}

    /** The RPN objectness logits {@code [N, A, H_l, W_l]} of feature level {@code level} (e.g. "p2"). */
    public static String rpnLogits(String level) { return "rpn_logits_" + level; }

    /** The RPN anchor deltas {@code [N, A*4, H_l, W_l]} of feature level {@code level}. */
    public static String rpnDeltas(String level) { return "rpn_deltas_" + level; }
}
