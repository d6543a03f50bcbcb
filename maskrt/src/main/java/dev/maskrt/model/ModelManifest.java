package dev.maskrt.model;

import dev.maskrt.engine.ModelGraphs;

import dev.maskrt.engine.GraphDeclaration;

import dev.maskrt.config.Precision;
import dev.maskrt.error.InputFormatException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A parsed and validated {@code manifest.json} of a model package (format version 1, flavour {@code detectron2} or
 * {@code maskrcnn_benchmark};
 * see {@code docs/MODEL_PACKAGE.md}). Everything the pipeline needs between the graphs is here. Immutable.
 *
 * @param file the manifest file it was read from (named in error messages)
 * @param numClasses K, foreground classes, {@code >= 1}
 * @param classNames K names in class-index order ({@code "class<i>"} where the manifest gives none)
 * @param backbone the backbone + FPN + RPN head graph
 * @param boxHeads one box head graph per box stage (three in a cascade, one in a Mask / Faster R-CNN)
 * @param maskHead the mask head graph, or null for a box-only model
 * @param testAug test-time augmentation settings ({@code test_aug}; detectron2's defaults, disabled, when absent)
 * @param graphSets the package's other graph sets by precision ({@code graph_sets}; e.g. {@link Precision#INT8}),
 *                  empty when it has none; the graphs above are the fp32 set
 * @param flavour {@code "detectron2"} or {@code "maskrcnn_benchmark"}: the trainer whose inference the package follows
 * @param conventions the rules the pipeline applies ({@link Conventions#DETECTRON2} for detectron2 packages)
 */
public record ModelManifest(Path file, int numClasses, List<String> classNames, InputSettings input,
        AnchorSettings anchors, RpnSettings rpn, RoiHeadSettings roiHeads, GraphDeclaration backbone,
        List<GraphDeclaration> boxHeads, GraphDeclaration maskHead, TestAugSettings testAug,
        Map<Precision, GraphSet> graphSets, String flavour, Conventions conventions) {
    /** The only {@code format_version} this build reads. */
    public static final int FORMAT_VERSION = 1;
    /** detectron2's flavour (the package format's original one). */
    public static final String FLAVOUR_DETECTRON2 = "detectron2";
    /** maskrcnn-benchmark's flavour: its legacy conventions, recorded in {@code conventions}. */
    public static final String FLAVOUR_MASKRCNN_BENCHMARK = "maskrcnn_benchmark";

    /** An mmdetection model ({@code tools/maskrt_export/mmdet.py}), run with {@link Conventions#MMDETECTION}'s rules. */
    public static final String FLAVOUR_MMDETECTION = "mmdetection";

    public ModelManifest {
        classNames = List.copyOf(classNames);
        boxHeads = List.copyOf(boxHeads);
        graphSets = Map.copyOf(graphSets);
    }

    /**
     * This manifest with the graphs of the set {@code precision}: itself for {@link Precision#FP32}, else the
     * {@code graph_sets} entry's graphs in place of the fp32 ones (every setting unchanged).
     *
     * @param precision the graph set to run
     * @return the manifest whose {@link #graphs()} are that set's
     * @throws InputFormatException naming the package and the field when the package has no such graph set (a
     *                              package without int8 graphs never falls back to its fp32 graphs)
     */
    public ModelManifest forPrecision(Precision precision) {
        if (precision == null) throw new IllegalArgumentException("precision must not be null");
        if (precision == Precision.FP32) return this;
        GraphSet set = graphSets.get(precision);
        if (set == null) {
            throw InputFormatException.at(file, null, "graph_sets." + precision.id(), "missing: the model package "
                    + file.toAbsolutePath().getParent() + " has no " + precision.id() + " graphs"
                    + (precision == Precision.INT8 ? " (make them with python3 -m tools.quantize, tools/README.md)"
                    : ""));
        }
        return new ModelManifest(file, numClasses, classNames, input, anchors, rpn, roiHeads, set.backbone(),
                set.boxHeads(), set.maskHead(), testAug, graphSets, flavour, conventions);
    }

    /** Every graph, backbone first, then the box heads in stage order, then the mask head if there is one. */
    public List<GraphDeclaration> graphs() {
        List<GraphDeclaration> all = new java.util.ArrayList<>();
        all.add(backbone);
        all.addAll(boxHeads);
        if (maskHead != null) all.add(maskHead);
        return all;
    }

    /** Whether the model predicts masks (false for a box-only model such as Faster R-CNN). */
    public boolean hasMasks() { return maskHead != null; }

    /** The graphs and the settings that bound their input shapes, as the engines see them. */
    public ModelGraphs engineView() {
        return new ModelGraphs(file, backbone(), boxHeads(), maskHead(), input().minSizeTest(), input().maxSizeTest(),
                input().sizeDivisibility(), rpn().postNmsTopk(), roiHeads().detectionsPerImage(), numClasses);
    }
}
