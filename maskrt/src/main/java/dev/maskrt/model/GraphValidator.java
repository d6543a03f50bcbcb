package dev.maskrt.model;


import dev.maskrt.engine.GraphDeclaration;

import dev.maskrt.engine.Engine;
import dev.maskrt.engine.TensorSpec;
import dev.maskrt.error.InputFormatException;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Checks a model package's graphs in two steps, refusing with an {@link InputFormatException} that names the file
 * and the field:
 * <ol>
 *   <li>{@link #checkDeclarations}: the manifest's {@code graphs} section against what the pipeline needs (tensor
 *       names, ranks, and the fixed sizes implied by {@code num_classes}, the anchors per cell, the poolers'
 *       resolutions and the FPN channel count);</li>
 *   <li>{@link #checkEngine}: an opened graph against its declaration (same input and output names, same ranks,
 *       equal sizes wherever both fix one, and every axis the manifest declares dynamic also dynamic in the
 *       graph).</li>
 * </ol>
 * Stateless and thread-safe.
 */
final class GraphValidator {
    private static final String IMAGE = TensorNames.IMAGE;
    private static final String FEATURES = TensorNames.FEATURES;
    private static final String CLASS_LOGITS = TensorNames.CLASS_LOGITS;
    private static final String BOX_DELTAS = TensorNames.BOX_DELTAS;
    private static final String MASK_LOGITS = TensorNames.MASK_LOGITS;

    private GraphValidator() {}

    private static String rpnLogits(String level) { return TensorNames.rpnLogits(level); }

    private static String rpnDeltas(String level) { return TensorNames.rpnDeltas(level); }

    /** Checks the manifest's graph declarations against the pipeline; returns the FPN channel count C. */
    static int checkDeclarations(ModelManifest m) {
        Path file = m.file();
        GraphDeclaration backbone = m.backbone();
        TensorSpec image = require(file, backbone, backbone.input(IMAGE), "inputs", IMAGE);
        shape(file, backbone, "inputs", image, 4, null, 3, null, null);
        AnchorSettings anchors = m.anchors();
        int a = anchors.anchorsPerCell();
        int channels = -1;
        for (int l = 0; l < anchors.levels(); l++) {
            String name = anchors.featureName(l);
            TensorSpec p = require(file, backbone, backbone.output(name), "outputs", name);
            shape(file, backbone, "outputs", p, 4, null, null, null, null);
            if (p.isFixed(1)) {
                if (channels >= 0 && p.size(1) != channels) {
                    throw fail(file, backbone, "outputs", name, "has " + p.size(1) + " channels, other levels "
                            + channels);
                }
                channels = (int) p.size(1);
            }
            shape(file, backbone, "outputs", require(file, backbone, backbone.output(rpnLogits(name)), "outputs",
                    rpnLogits(name)), 4, null, a, null, null);
            shape(file, backbone, "outputs", require(file, backbone, backbone.output(rpnDeltas(name)), "outputs",
                    rpnDeltas(name)), 4, null, 4 * a, null, null);
        }
        if (channels < 0) throw fail(file, backbone, "outputs", anchors.featureName(0), "channel count must be fixed");
        int res = m.roiHeads().boxPooler().resolution();
        for (GraphDeclaration head : m.boxHeads()) {
            shape(file, head, "inputs", require(file, head, head.input(FEATURES), "inputs", FEATURES), 4, null,
                    channels, res, res);
            shape(file, head, "outputs", require(file, head, head.output(CLASS_LOGITS), "outputs", CLASS_LOGITS), 2,
                    null, m.numClasses() + 1);
            shape(file, head, "outputs", require(file, head, head.output(BOX_DELTAS), "outputs", BOX_DELTAS), 2,
                    null, m.roiHeads().classAgnosticBoxes() ? 4 : 4 * m.numClasses());
        }
        GraphDeclaration mask = m.maskHead();
        if (mask == null) return channels;
        int mres = m.roiHeads().maskPooler().resolution();
        shape(file, mask, "inputs", require(file, mask, mask.input(FEATURES), "inputs", FEATURES), 4, null, channels,
                mres, mres);
        // mask_logits, or mask_probs (mmdetection's averaged cascade mask heads): exactly one of the two
        boolean probs = mask.output(TensorNames.MASK_PROBS).isPresent();
        if (probs && mask.output(MASK_LOGITS).isPresent()) {
            throw fail(file, mask, "outputs", TensorNames.MASK_PROBS, "declare mask_logits or mask_probs, not both");
        }
        String name = probs ? TensorNames.MASK_PROBS : MASK_LOGITS;
        TensorSpec logits = require(file, mask, mask.output(name), "outputs", name);
        shape(file, mask, "outputs", logits, 4, null, m.roiHeads().maskClassAgnostic() ? 1 : m.numClasses(), null,
                null);
        if (!logits.isFixed(2) || !logits.isFixed(3) || logits.size(2) < 1 || logits.size(3) < 1) {
            throw fail(file, mask, "outputs", name, "mask size (axes 2, 3) must be fixed, got "
                    + logits.shapeText());
        }
        return channels;
    }

    /** Checks an opened graph against its declaration. */
    static void checkEngine(ModelManifest m, GraphDeclaration declared, Engine engine) {
        Path graph = m.file().resolveSibling(declared.file());
        compare(m, graph, declared, "inputs", declared.inputs(), engine.inputs());
        compare(m, graph, declared, "outputs", declared.outputs(), engine.outputs());
    }

    private static void compare(ModelManifest m, Path graph, GraphDeclaration declared, String kind,
            List<TensorSpec> expected, List<TensorSpec> actual) {
        Set<String> want = expected.stream().map(TensorSpec::name).collect(Collectors.toCollection(LinkedHashSet::new));
        Set<String> have = actual.stream().map(TensorSpec::name).collect(Collectors.toCollection(LinkedHashSet::new));
        if (!want.equals(have)) {
            throw new InputFormatException(graph + ": " + kind + " " + have + " do not match " + m.file().getFileName()
                    + " field '" + declared.field() + "." + kind + "' " + want);
        }
        java.util.Map<String, TensorSpec> byName = actual.stream()
                .collect(Collectors.toMap(TensorSpec::name, Function.identity()));
        for (TensorSpec d : expected) {
            TensorSpec s = byName.get(d.name());
            boolean ok = s.rank() == d.rank();
            for (int i = 0; ok && i < d.rank(); i++) {
                if (d.isFixed(i)) ok = s.isDynamic(i) || s.shape()[i] == d.size(i);
                else ok = s.isDynamic(i);
            }
            if (!ok) {
                throw new InputFormatException(graph + ": " + kind.substring(0, kind.length() - 1) + " '" + d.name()
                        + "' has shape " + s.shapeText() + " but " + m.file().getFileName() + " field '"
                        + declared.field() + "." + kind + "." + d.name() + "' declares " + d.shapeText());
            }
        }
    }

    private static TensorSpec require(Path file, GraphDeclaration g, java.util.Optional<TensorSpec> t,
            String kind, String name) {
        return t.orElseThrow(() -> InputFormatException.at(file, null, g.field() + "." + kind + "." + name,
                "missing (the pipeline needs this tensor)"));
    }

    /** Checks rank and, for each non-null expected size, that the axis is fixed to it or dynamic. */
    private static void shape(Path file, GraphDeclaration g, String kind, TensorSpec t, int rank,
            Integer... sizes) {
        boolean ok = t.rank() == rank;
        for (int i = 0; ok && i < sizes.length; i++) {
            if (sizes[i] != null && t.isFixed(i)) ok = t.size(i) == sizes[i];
        }
        if (!ok) {
            StringBuilder want = new StringBuilder("[");
            for (int i = 0; i < rank; i++) {
                if (i > 0) want.append(", ");
                want.append(i < sizes.length && sizes[i] != null ? sizes[i].toString() : "*");
            }
            throw fail(file, g, kind, t.name(), "shape " + t.shapeText() + " does not match the model's "
                    + want + "]");
        }
    }

    private static InputFormatException fail(Path file, GraphDeclaration g, String kind, String name, String problem) {
        return InputFormatException.at(file, null, g.field() + "." + kind + "." + name, problem);
    }
}
