package dev.maskrt.engine.tensorrt;

import dev.maskrt.config.TensorRtOptions;

import dev.maskrt.engine.GraphDeclaration;
import dev.maskrt.engine.ModelGraphs;
import dev.maskrt.engine.TensorSpec;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The TensorRT optimisation profile of every graph of a package, derived from its manifest and the
 * {@link TensorRtOptions}. Pure Java (no GPU needed). Immutable and thread-safe.
 *
 * <p>The rules (d = {@code input.size_divisibility}, B = the batch size):
 * <ul>
 *   <li>Backbone {@code image [N, 3, H, W]}: N from 1 to B (opt B). H and W each from d up to the largest side any
 *       resized image can have, rounded up to d: {@code max(max_size_test, tta max size)} (ResizeShortestEdge never
 *       makes either side exceed its max size; a very elongated image can make one side as small as one pixel,
 *       padded to d). Opt is a 4:3 landscape image at the test size: H = short side, W = min(max size,
 *       round(4/3 short side)), both rounded up to d. A model without resize ({@code min_size_test == 0}) needs
 *       {@link TensorRtOptions#maxImageSide()}; its opt is the max.</li>
 *   <li>Box heads {@code features [R, C, r, r]}: R from 1 to {@code rpn.post_nms_topk * B} (all images' proposals go
 *       through a head in one run), opt = max, since proposals nearly always fill {@code post_nms_topk}.</li>
 *   <li>Mask head: R from 1 to {@code roi_heads.detections_per_image * B} (or the options' override; opt = max);
 *       when detections per image is
 *       negative (keep all), up to {@code post_nms_topk * num_classes * B}, the most the per-class NMS can keep.</li>
 *   <li>A declared fixed size is kept as min = opt = max; a graph's R is never 0 (the pipeline skips a head with no
 *       RoIs).</li>
 * </ul>
 */
public final class ProfilePlan {
    private final List<GraphProfile> graphs;
    private final int batchSize;

    private ProfilePlan(List<GraphProfile> graphs, int batchSize) {
        this.graphs = List.copyOf(graphs);
        this.batchSize = batchSize;
    }

    /**
     * Derives the profiles of every graph of a model package.
     *
     * @throws IllegalArgumentException when the options cannot be planned for: a fixed declared batch smaller than
     *                                  the batch size, a model without resize and no {@code maxImageSide}, or an
     *                                  input rank the pipeline does not use
     */
    public static ProfilePlan forGraphs(ModelGraphs manifest, TensorRtOptions options) {
        if (manifest == null) throw new IllegalArgumentException("graphs must not be null");
        if (options == null) throw new IllegalArgumentException("options must not be null");
        int b = options.batchSize();
        List<GraphProfile> out = new ArrayList<>();
        out.add(backbone(manifest, options));
        long boxRois = (long) manifest.rpnPostNmsTopk() * b;
        for (GraphDeclaration head : manifest.boxHeads()) out.add(roiHead(head, boxRois));
        int dpi = options.detectionsPerImage() != null ? options.detectionsPerImage()
                : manifest.detectionsPerImage();
        long maskRois = dpi >= 0 ? (long) Math.max(dpi, 1) * b
                : (long) manifest.rpnPostNmsTopk() * manifest.numClasses() * b;
        if (manifest.maskHead() != null) out.add(roiHead(manifest.maskHead(), maskRois));
        return new ProfilePlan(out, b);
    }

    /** Every graph's profile, backbone first, then the box heads in stage order, then the mask head if any. */
    public List<GraphProfile> graphs() { return graphs; }

    /** The profile of {@code graphFile} (e.g. {@code box_head_1.onnx}). */
    public GraphProfile graph(String graphFile) {
        for (GraphProfile g : graphs) if (g.graphFile().equals(graphFile)) return g;
        throw new IllegalArgumentException("graphFile: no graph '" + graphFile + "' in this plan");
    }

    public int batchSize() { return batchSize; }

    private static GraphProfile backbone(ModelGraphs m, TensorRtOptions o) {
        GraphDeclaration g = m.backbone();
        TensorSpec image = single(g);
        if (image.rank() != 4) throw new IllegalArgumentException(g.file() + ": input '" + image.name() + "' must have rank 4");
        int d = Math.max(1, m.sizeDivisibility());
        int minSize = o.minSizeTest() != null ? o.minSizeTest() : m.minSizeTest();
        int maxSize = o.maxSizeTest() != null ? o.maxSizeTest() : m.maxSizeTest();
        long maxSide;
        long optH;
        long optW;
        if (minSize == 0) {
            if (o.maxImageSide() == 0) {
                throw new IllegalArgumentException(m.manifestFile() + ": input.min_size_test is 0 (images are not resized), so "
                        + "TensorRtOptions.maxImageSide must say the largest image side to plan for");
            }
            maxSide = roundUp(o.maxImageSide(), d);
            optH = maxSide;
            optW = maxSide;
        } else {
            maxSide = roundUp(Math.max(maxSize, o.ttaMaxSize()), d);
            long shortSide = Math.min(minSize, maxSize);
            optH = Math.min(roundUp(shortSide, d), maxSide);
            optW = Math.min(roundUp(Math.min(maxSize, Math.round(shortSide * 4.0 / 3.0)), d), maxSide);
        }
        long batch = o.batchSize();
        long[][] axes = {
                {1, batch, batch},
                null,
                {d, optH, maxSide},
                {d, optW, maxSide}};
        return profile(g, image, axes);
    }

    private static GraphProfile roiHead(GraphDeclaration g, long maxRois) {
        TensorSpec features = single(g);
        if (features.rank() != 4) {
            throw new IllegalArgumentException(g.file() + ": input '" + features.name() + "' must have rank 4");
        }
        long[][] axes = {{1, maxRois, maxRois}, null, null, null};
        return profile(g, features, axes);
    }

    /** {@code axes[i]} = {min, opt, max} for a dynamic axis i, null where the declaration must be fixed. */
    private static GraphProfile profile(GraphDeclaration g, TensorSpec t, long[][] axes) {
        int rank = t.rank();
        long[] min = new long[rank];
        long[] opt = new long[rank];
        long[] max = new long[rank];
        Map<String, long[]> symbols = new LinkedHashMap<>();
        for (int i = 0; i < rank; i++) {
            if (t.isFixed(i)) {
                long v = t.size(i);
                if (axes[i] != null && (axes[i][0] != v || axes[i][2] != v)) {
                    throw new IllegalArgumentException(g.file() + ": input '" + t.name() + "' axis " + i + " is fixed at "
                            + v + " but the plan needs " + axes[i][0] + ".." + axes[i][2]
                            + " (export the graph with a dynamic axis)");
                }
                min[i] = opt[i] = max[i] = v;
            } else {
                if (axes[i] == null) {
                    throw new IllegalArgumentException(g.file() + ": input '" + t.name() + "' axis " + i + " ('"
                            + t.symbol(i) + "') must be a fixed size");
                }
                min[i] = axes[i][0];
                opt[i] = axes[i][1];
                max[i] = axes[i][2];
                symbols.put(t.symbol(i), axes[i].clone());
            }
        }
        return new GraphProfile(g.file(), Map.of(t.name(), new ShapeRange(min, opt, max)), symbols);
    }

    private static TensorSpec single(GraphDeclaration g) {
        if (g.inputs().size() != 1) {
            throw new IllegalArgumentException(g.file() + ": expected one input, the manifest declares " + g.inputs().size());
        }
        return g.inputs().get(0);
    }

    static long roundUp(long v, long d) {
        return (v + d - 1) / d * d;
    }
}
