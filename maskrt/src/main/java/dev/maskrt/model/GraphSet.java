package dev.maskrt.model;

import dev.maskrt.config.Precision;
import dev.maskrt.engine.GraphDeclaration;
import java.util.List;

/**
 * An alternative set of a package's graphs ({@code graph_sets.<precision>} in the manifest, e.g. the static int8
 * graphs made by {@code tools/quantize}): one graph per role, each declared with the fp32 graph's inputs and outputs
 * (a quantized graph keeps float32 inputs and outputs) and with its own file and precision. A graph the quantizer
 * left in float32 (because it lost accuracy, or was not asked for) is declared with precision {@link Precision#FP32}
 * and usually the fp32 file. Immutable.
 *
 * @param precision the set's precision ({@link Precision#INT8})
 * @param backbone the backbone graph of the set
 * @param boxHeads one box head per box stage
 * @param maskHead the mask head, or null for a box-only model
 * @param graphPrecisions the precision of each graph, in {@link ModelManifest#graphs()} order (backbone, box heads,
 *                        mask head)
 */
public record GraphSet(Precision precision, GraphDeclaration backbone, List<GraphDeclaration> boxHeads,
        GraphDeclaration maskHead, List<Precision> graphPrecisions) {
    public GraphSet {
        boxHeads = List.copyOf(boxHeads);
        graphPrecisions = List.copyOf(graphPrecisions);
        int graphs = boxHeads.size() + (maskHead == null ? 1 : 2);
        if (graphPrecisions.size() != graphs) {
            throw new IllegalArgumentException("graphPrecisions: " + graphPrecisions.size() + " for " + graphs
                    + " graphs");
        }
    }
}
