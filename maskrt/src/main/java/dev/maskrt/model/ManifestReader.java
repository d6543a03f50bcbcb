package dev.maskrt.model;

import dev.maskrt.engine.ElementType;
import dev.maskrt.engine.TensorSpec;

import dev.maskrt.engine.GraphDeclaration;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.maskrt.config.Precision;
import dev.maskrt.image.ChannelFormat;
import dev.maskrt.error.InputFormatException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Reads {@code manifest.json} into a {@link ModelManifest}, checking every field the pipeline uses: presence, JSON
 * type, range, and consistency between sections (levels, stages, class counts). Every refusal is an
 * {@link InputFormatException} whose message names the manifest file and the field path, e.g.
 * {@code .../manifest.json: field 'roi_heads.score_thresh': expected a number, got "high"}. Graph files are only
 * checked for existence here; {@link GraphValidator} checks their contents. Stateless and thread-safe.
 */
final class ManifestReader {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path file;

    private ManifestReader(Path file) {
        this.file = file;
    }

    /** Reads and validates {@code dir/manifest.json}. */
    static ModelManifest read(Path dir) {
        Path file = dir.resolve(ModelPackage.MANIFEST);
        JsonNode root;
        try {
            root = JSON.readTree(Files.readAllBytes(file));
        } catch (NoSuchFileException e) {
            throw new InputFormatException(file + ": no such file (not a model package?)", e);
        } catch (JsonProcessingException e) {
            throw new InputFormatException(file + ": not valid JSON: "
                    + e.getOriginalMessage().replace('\n', ' '), e);
        } catch (IOException e) {
            throw new InputFormatException(file + ": cannot be read: " + e, e);
        }
        if (root == null || !root.isObject()) throw new InputFormatException(file + ": expected a JSON object");
        return new ManifestReader(file).parse(root, dir);
    }

    private ModelManifest parse(JsonNode root, Path dir) {
        int version = integer(root, "format_version");
        if (version != ModelManifest.FORMAT_VERSION) {
            throw fail("format_version", "unsupported version " + version + " (this maskrt reads version "
                    + ModelManifest.FORMAT_VERSION + ")");
        }
        String flavour = string(root, "flavour");
        if (!flavour.equals(ModelManifest.FLAVOUR_DETECTRON2) && !flavour.equals(ModelManifest.FLAVOUR_MASKRCNN_BENCHMARK)
                && !flavour.equals(ModelManifest.FLAVOUR_MMDETECTION)) {
            throw fail("flavour", "unknown flavour \"" + flavour
                    + "\" (expected \"detectron2\", \"maskrcnn_benchmark\" or \"mmdetection\")");
        }
        int numClasses = integer(root, "num_classes");
        if (numClasses < 1) throw fail("num_classes", "must be >= 1, got " + numClasses);
        List<String> classNames = classNames(root, numClasses);
        Conventions conventions = conventions(root, flavour);
        InputSettings input = input(root, conventions);
        AnchorSettings anchors = anchors(root);
        RpnSettings rpn = rpn(root);
        RoiHeadSettings roiHeads = roiHeads(root, anchors);
        JsonNode graphs = object(root, "graphs");
        GraphDeclaration backbone = graph(object(graphs, "graphs", "backbone"), "graphs.backbone", dir);
        JsonNode boxNodes = array(graphs, "graphs", "box_heads");
        if (boxNodes.size() != roiHeads.stages()) {
            throw fail("graphs.box_heads", boxNodes.size() + " box heads for " + roiHeads.stages()
                    + " stages in roi_heads.stage_bbox_reg_weights");
        }
        List<GraphDeclaration> boxHeads = new ArrayList<>();
        for (int k = 0; k < boxNodes.size(); k++) {
            String field = "graphs.box_heads[" + k + "]";
            boxHeads.add(graph(asObject(boxNodes.get(k), field), field, dir));
        }
        GraphDeclaration maskHead = null;
        if (graphs.has("mask_head")) {
            if (!roiHeads.hasMaskHead()) {
                throw fail("roi_heads.mask_pooler", "missing: graphs.mask_head declares a mask head");
            }
            maskHead = graph(object(graphs, "graphs", "mask_head"), "graphs.mask_head", dir);
        } else if (roiHeads.hasMaskHead()) {
            throw fail("graphs.mask_head", "missing: roi_heads.mask_pooler describes a mask head (a box-only model has "
                    + "neither)");
        }
        if (flavour.equals(ModelManifest.FLAVOUR_MASKRCNN_BENCHMARK) && roiHeads.stages() != 1) {
            throw fail("roi_heads.stage_bbox_reg_weights", "a maskrcnn_benchmark model has one box stage, got "
                    + roiHeads.stages());
        }
        TestAugSettings testAug = !root.has("test_aug") && conventions.mmdetectionResize()
                // mmdetection without test_aug: its one test scale, no flip (aug_test of one image is simple_test's)
                ? new TestAugSettings(false, new int[] {input.minSizeTest()}, input.maxSizeTest(), false)
                : testAug(root);
        if (!conventions.isDetectron2() && !conventions.mmdetectionResize() && root.has("test_aug")) {
            throw fail("test_aug", "a maskrcnn_benchmark package has no test-time augmentation");
        }
        if (root.has("test_aug") && root.get("test_aug").has("max_sizes") != conventions.mmdetectionResize()) {
            throw fail("test_aug", conventions.mmdetectionResize()
                    ? "an mmdetection package gives max_sizes (one per img_scale), not max_size"
                    : "max_sizes (one per size) is mmdetection's; detectron2's test_aug has one max_size");
        }
        return new ModelManifest(file, numClasses, classNames, input, anchors, rpn, roiHeads, backbone, boxHeads,
                maskHead, testAug, graphSets(root, backbone, boxHeads, maskHead, dir), flavour, conventions);
    }

    /**
     * {@code conventions}: required for {@code maskrcnn_benchmark} and {@code mmdetection} packages, optional for
     * detectron2 ones (absent: {@link Conventions#DETECTRON2}; fields given must name detectron2's rules or another
     * trainer's). The fields mmdetection added ({@code level_mapper}, {@code box_coder}, {@code cascade_scores}) may be
     * absent: detectron2's (for {@code level_mapper}, the box coordinates' mapping).
     */
    private Conventions conventions(JsonNode root, String flavour) {
        JsonNode c = root.get("conventions");
        boolean detectron2 = flavour.equals(ModelManifest.FLAVOUR_DETECTRON2);
        if (c == null) {
            if (detectron2) return Conventions.DETECTRON2;
            throw fail("conventions", "missing: a " + flavour + " package must record its conventions");
        }
        asObject(c, "conventions");
        boolean plusOneBoxes = choice(c, "box_coordinates", "continuous", "plus_one");
        String anchors = oneOf(c, "anchor_generator", "detectron2", "maskrcnn_benchmark", "mmdetection");
        String nms = oneOf(c, "nms", "torchvision_iou_gt", "plus_one_iou_ge", "mmcv_iou_ge");
        int perLevel = 0;
        if (c.has("rpn_post_nms_topk_per_level") && !c.get("rpn_post_nms_topk_per_level").isNull()) {
            perLevel = positive(c, "conventions", "rpn_post_nms_topk_per_level");
        }
        choice(c, "rpn_score", "logit", "sigmoid"); // a monotonic score: the ranking is the same (docs)
        double eps = number(c, "conventions", "level_mapper_eps");
        if (!(eps >= 0) || eps >= 1) throw fail("conventions.level_mapper_eps", "must be in [0, 1), got " + eps);
        String mapper = c.has("level_mapper") ? oneOf(c, "level_mapper", "detectron2", "maskrcnn_benchmark",
                "mmdetection") : plusOneBoxes ? "maskrcnn_benchmark" : "detectron2";
        if (mapper.equals("maskrcnn_benchmark") != plusOneBoxes) {
            throw fail("conventions.level_mapper", "\"maskrcnn_benchmark\" goes with box_coordinates \"plus_one\" and "
                    + "only with it, got \"" + mapper + "\"");
        }
        boolean kthvalue = choice(c, "detections", "batched_topk", "per_class_kthvalue");
        String postprocess = oneOf(c, "postprocess", "clip_drop_empty", "scale_only", "mmdetection_rescale_first");
        boolean masker = choice(c, "mask_paste", "detectron2_grid_sample", "maskrcnn_benchmark_masker");
        String resize = oneOf(c, "resize", "detectron2", "maskrcnn_benchmark", "mmdetection");
        boolean exif = bool(c, "conventions", "exif_orientation");
        boolean plusOneCoco = choice(c, "coco_bbox", "xywh", "xywh_plus_one");
        if (plusOneCoco != plusOneBoxes) {
            throw fail("conventions.coco_bbox", "must be \"" + (plusOneBoxes ? "xywh_plus_one" : "xywh")
                    + "\" for box_coordinates \"" + (plusOneBoxes ? "plus_one" : "continuous") + "\"");
        }
        boolean mmdetCoder = c.has("box_coder")
                && choice(c, "box_coder", "detectron2_box2box", "mmdetection_delta_xywh");
        if (mmdetCoder && plusOneBoxes) {
            throw fail("conventions.box_coder", "\"mmdetection_delta_xywh\" needs box_coordinates \"continuous\"");
        }
        boolean meanLogits = c.has("cascade_scores")
                && choice(c, "cascade_scores", "mean_of_probabilities", "softmax_of_mean_logits");
        return new Conventions(plusOneBoxes, anchors.equals("maskrcnn_benchmark"), nms.equals("plus_one_iou_ge"),
                perLevel, eps, kthvalue, postprocess.equals("scale_only"), masker, resize.equals("maskrcnn_benchmark"),
                exif, plusOneCoco, anchors.equals("mmdetection"), nms.equals("mmcv_iou_ge"),
                mapper.equals("mmdetection"), mmdetCoder, meanLogits, postprocess.equals("mmdetection_rescale_first"),
                resize.equals("mmdetection"));
    }

    /** A string field of {@code conventions} that must be {@code first} (false) or {@code second} (true). */
    private boolean choice(JsonNode c, String name, String first, String second) {
        return oneOf(c, name, first, second).equals(second);
    }

    /** A string field of {@code conventions} that must be one of {@code values}. */
    private String oneOf(JsonNode c, String name, String... values) {
        String v = string(c, "conventions", name);
        for (String allowed : values) if (v.equals(allowed)) return v;
        throw fail("conventions." + name, "expected one of \"" + String.join("\", \"", values) + "\", got \"" + v
                + "\"");
    }

    private List<String> classNames(JsonNode root, int numClasses) {
        JsonNode names = array(root, "", "class_names");
        List<String> out = new ArrayList<>();
        if (names.isEmpty()) {
            for (int i = 0; i < numClasses; i++) out.add("class" + i);
            return out;
        }
        if (names.size() != numClasses) {
            throw fail("class_names", names.size() + " names for num_classes " + numClasses);
        }
        for (int i = 0; i < names.size(); i++) {
            JsonNode n = names.get(i);
            if (!n.isTextual()) throw fail("class_names[" + i + "]", "expected a string, got " + n);
            out.add(n.asText());
        }
        return out;
    }

    private InputSettings input(JsonNode root, Conventions conventions) {
        JsonNode in = object(root, "", "input");
        String formatText = string(in, "input", "format");
        ChannelFormat format;
        try {
            format = ChannelFormat.parse(formatText);
        } catch (IllegalArgumentException e) {
            throw fail("input.format", "expected \"BGR\" or \"RGB\", got \"" + formatText + "\"");
        }
        double[] mean = numbers(in, "input", "pixel_mean", 3);
        double[] std = numbers(in, "input", "pixel_std", 3);
        for (int c = 0; c < 3; c++) {
            if (std[c] == 0 || !Double.isFinite(std[c])) throw fail("input.pixel_std[" + c + "]", "must be finite and non-zero");
        }
        int minSize = integer(in, "input", "min_size_test");
        int maxSize = integer(in, "input", "max_size_test");
        if (minSize < 0) throw fail("input.min_size_test", "must be >= 0, got " + minSize);
        if (maxSize < 1) throw fail("input.max_size_test", "must be >= 1, got " + maxSize);
        int divisibility = integer(in, "input", "size_divisibility");
        if (divisibility < 0) throw fail("input.size_divisibility", "must be >= 0, got " + divisibility);
        double pad = number(in, "input", "pad_value");
        if (pad != 0.0) throw fail("input.pad_value", "only 0.0 is supported, got " + pad);
        String interpolation = string(in, "input", "interpolation");
        if (!interpolation.equals("pil_bilinear") && !interpolation.equals("cv2_bilinear")) {
            throw fail("input.interpolation", "expected \"pil_bilinear\" or \"cv2_bilinear\", got \"" + interpolation
                    + "\"");
        }
        boolean cv2 = interpolation.equals("cv2_bilinear");
        if (cv2 != conventions.mmdetectionResize()) {
            throw fail("input.interpolation", cv2 ? "\"cv2_bilinear\" goes with conventions.resize \"mmdetection\""
                    : "conventions.resize \"mmdetection\" needs \"cv2_bilinear\"");
        }
        return new InputSettings(format, mean, std, minSize, maxSize, divisibility);
    }

    /** {@code test_aug}: optional (absent in packages exported before it existed: detectron2's defaults, disabled). */
    private TestAugSettings testAug(JsonNode root) {
        JsonNode t = root.get("test_aug");
        if (t == null) return TestAugSettings.DETECTRON2_DEFAULTS;
        asObject(t, "test_aug");
        boolean enabled = bool(t, "test_aug", "enabled");
        JsonNode sizes = array(t, "test_aug", "min_sizes");
        if (sizes.isEmpty()) throw fail("test_aug.min_sizes", "must not be empty");
        int[] minSizes = new int[sizes.size()];
        for (int i = 0; i < minSizes.length; i++) {
            String field = "test_aug.min_sizes[" + i + "]";
            minSizes[i] = asInt(sizes.get(i), field);
            if (minSizes[i] < 1) throw fail(field, "must be >= 1, got " + minSizes[i]);
        }
        boolean flip = bool(t, "test_aug", "flip");
        if (t.has("max_sizes")) { // mmdetection: one (long, short) img_scale pair per size
            JsonNode longs = array(t, "test_aug", "max_sizes");
            if (longs.size() != minSizes.length) {
                throw fail("test_aug.max_sizes", longs.size() + " entries for " + minSizes.length + " min_sizes");
            }
            int[] maxSizes = new int[minSizes.length];
            for (int i = 0; i < maxSizes.length; i++) {
                String field = "test_aug.max_sizes[" + i + "]";
                maxSizes[i] = asInt(longs.get(i), field);
                if (maxSizes[i] < 1) throw fail(field, "must be >= 1, got " + maxSizes[i]);
            }
            int largest = Arrays.stream(maxSizes).max().getAsInt();
            return new TestAugSettings(enabled, minSizes, largest, flip, maxSizes);
        }
        int maxSize = positive(t, "test_aug", "max_size");
        return new TestAugSettings(enabled, minSizes, maxSize, flip);
    }

    private AnchorSettings anchors(JsonNode root) {
        JsonNode a = object(root, "", "anchors");
        JsonNode stridesNode = array(a, "anchors", "strides");
        int levels = stridesNode.size();
        if (levels < 1) throw fail("anchors.strides", "must not be empty");
        int[] strides = new int[levels];
        for (int l = 0; l < levels; l++) {
            strides[l] = asInt(stridesNode.get(l), "anchors.strides[" + l + "]");
            if (strides[l] < 1 || Integer.bitCount(strides[l]) != 1) {
                throw fail("anchors.strides[" + l + "]", "must be a power of two, got " + strides[l]);
            }
            if (l > 0 && strides[l] != 2 * strides[l - 1]) {
                throw fail("anchors.strides[" + l + "]", "each level's stride must double the previous one");
            }
        }
        double[][] sizes = perLevel(a, "sizes", levels);
        double[][] ratios = perLevel(a, "aspect_ratios", levels);
        int anchorsPerCell = sizes[0].length * ratios[0].length;
        for (int l = 1; l < levels; l++) {
            if (sizes[l].length * ratios[l].length != anchorsPerCell) {
                throw fail("anchors.sizes[" + l + "]", "anchors per cell differ between levels");
            }
        }
        double offset = number(a, "anchors", "offset");
        if (!(offset >= 0 && offset < 1)) throw fail("anchors.offset", "must be in [0, 1), got " + offset);
        return new AnchorSettings(strides, sizes, ratios, offset);
    }

    private double[][] perLevel(JsonNode a, String name, int levels) {
        String field = "anchors." + name;
        JsonNode node = array(a, "anchors", name);
        if (node.size() != levels) throw fail(field, node.size() + " entries for " + levels + " levels");
        double[][] out = new double[levels][];
        for (int l = 0; l < levels; l++) {
            out[l] = numbers(node.get(l), field + "[" + l + "]", -1);
            if (out[l].length == 0) throw fail(field + "[" + l + "]", "must not be empty");
            for (int i = 0; i < out[l].length; i++) {
                if (!(out[l][i] > 0) || Double.isInfinite(out[l][i])) {
                    throw fail(field + "[" + l + "][" + i + "]", "must be finite and > 0, got " + out[l][i]);
                }
            }
        }
        return out;
    }

    private RpnSettings rpn(JsonNode root) {
        JsonNode r = object(root, "", "rpn");
        int pre = positive(r, "rpn", "pre_nms_topk");
        int post = positive(r, "rpn", "post_nms_topk");
        double nms = threshold(r, "rpn", "nms_thresh");
        double minBox = number(r, "rpn", "min_box_size");
        if (!(minBox >= 0)) throw fail("rpn.min_box_size", "must be >= 0, got " + minBox);
        float[] weights = weights(numbers(r, "rpn", "bbox_reg_weights", 4), "rpn.bbox_reg_weights");
        float clamp = (float) number(r, "rpn", "scale_clamp");
        return new RpnSettings(pre, post, nms, (float) minBox, weights, clamp);
    }

    private RoiHeadSettings roiHeads(JsonNode root, AnchorSettings anchors) {
        JsonNode r = object(root, "", "roi_heads");
        double score = number(r, "roi_heads", "score_thresh");
        if (!(score >= 0 && score <= 1)) throw fail("roi_heads.score_thresh", "must be in [0, 1], got " + score);
        double nms = threshold(r, "roi_heads", "nms_thresh");
        int detections = integer(r, "roi_heads", "detections_per_image");
        if (detections == 0) { // negative keeps all (detectron2's TEST.DETECTIONS_PER_IMAGE = -1); 0 would keep none
            throw fail("roi_heads.detections_per_image", "must be >= 1 (or negative to keep all), got 0");
        }
        JsonNode stages = array(r, "roi_heads", "stage_bbox_reg_weights");
        if (stages.isEmpty()) throw fail("roi_heads.stage_bbox_reg_weights", "must not be empty");
        float[][] stageWeights = new float[stages.size()][];
        for (int k = 0; k < stages.size(); k++) {
            String field = "roi_heads.stage_bbox_reg_weights[" + k + "]";
            stageWeights[k] = weights(numbers(stages.get(k), field, 4), field);
        }
        // packages exported before Mask / Faster R-CNN were served are cascades, whose regression is class-agnostic
        boolean boxAgnostic = !r.has("cls_agnostic_bbox_reg") || bool(r, "roi_heads", "cls_agnostic_bbox_reg");
        if (stages.size() > 1 && !boxAgnostic) {
            throw fail("roi_heads.cls_agnostic_bbox_reg", "must be true for " + stages.size()
                    + " cascade stages (detectron2's cascade heads regress class-agnostic boxes)");
        }
        float clamp = (float) number(r, "roi_heads", "scale_clamp");
        PoolerSettings box = pooler(r, "box_pooler", anchors);
        if (!r.has("mask_pooler")) { // a box-only model (MASK_ON false)
            return new RoiHeadSettings((float) score, nms, detections, stageWeights, boxAgnostic, clamp, box, null,
                    RoiHeadSettings.DEFAULT_MASK_THRESHOLD, false);
        }
        PoolerSettings mask = pooler(r, "mask_pooler", anchors);
        double maskThreshold = number(r, "roi_heads", "mask_threshold");
        if (!(maskThreshold >= 0) || Double.isInfinite(maskThreshold)) {
            throw fail("roi_heads.mask_threshold", "must be finite and >= 0, got " + maskThreshold);
        }
        boolean agnostic = bool(r, "roi_heads", "mask_cls_agnostic");
        return new RoiHeadSettings((float) score, nms, detections, stageWeights, boxAgnostic, clamp, box, mask,
                (float) maskThreshold, agnostic);
    }

    private PoolerSettings pooler(JsonNode r, String name, AnchorSettings anchors) {
        String field = "roi_heads." + name;
        JsonNode p = object(r, "roi_heads", name);
        int resolution = positive(p, field, "resolution");
        int sampling = integer(p, field, "sampling_ratio");
        if (sampling < 0) throw fail(field + ".sampling_ratio", "must be >= 0, got " + sampling);
        String type = string(p, field, "type");
        boolean aligned;
        if (type.equals("ROIAlignV2")) aligned = true;
        else if (type.equals("ROIAlign")) aligned = false;
        else throw fail(field + ".type", "expected \"ROIAlignV2\" or \"ROIAlign\", got \"" + type + "\"");
        int canonicalSize = positive(p, field, "canonical_box_size");
        int canonicalLevel = integer(p, field, "canonical_level");
        JsonNode levelNodes = array(p, field, "levels");
        if (levelNodes.isEmpty()) throw fail(field + ".levels", "must not be empty");
        List<String> levels = new ArrayList<>();
        int first = -1;
        for (int i = 0; i < levelNodes.size(); i++) {
            String f = field + ".levels[" + i + "]";
            JsonNode n = levelNodes.get(i);
            if (!n.isTextual()) throw fail(f, "expected a string, got " + n);
            int index = -1;
            for (int l = 0; l < anchors.levels(); l++) if (anchors.featureName(l).equals(n.asText())) index = l;
            if (index < 0) throw fail(f, "\"" + n.asText() + "\" is not a backbone feature level");
            if (i == 0) first = index;
            else if (index != first + i) throw fail(f, "levels must be consecutive, finest first");
            levels.add(n.asText());
        }
        int finestScale = p.has("finest_scale") ? positive(p, field, "finest_scale") : PoolerSettings.DEFAULT_FINEST_SCALE;
        return new PoolerSettings(resolution, sampling, aligned, canonicalSize, canonicalLevel, levels, finestScale);
    }

    private GraphDeclaration graph(JsonNode g, String field, Path dir) {
        String name = string(g, field, "file");
        Path path = dir.resolve(name);
        if (!Files.isRegularFile(path)) throw fail(field + ".file", "graph file " + path + " not found");
        String winograd = null;
        if (g.has("winograd_file")) {
            winograd = string(g, field, "winograd_file");
            Path w = dir.resolve(winograd);
            if (!Files.isRegularFile(w)) throw fail(field + ".winograd_file", "graph file " + w + " not found");
        }
        return new GraphDeclaration(field, name, tensors(g, field, "inputs"), tensors(g, field, "outputs"), winograd);
    }

    /**
     * {@code graph_sets}: optional; {@code {"int8": {"backbone": {"file", "precision"}, "box_heads": [...],
     * "mask_head": {...}, "quantization": {...}}}}. Each graph keeps the fp32 graph's declared inputs and outputs;
     * its precision is {@code "int8"} or {@code "fp32"} (a graph left in float32), at least one {@code "int8"}.
     */
    private Map<Precision, GraphSet> graphSets(JsonNode root, GraphDeclaration backbone, List<GraphDeclaration> boxHeads,
            GraphDeclaration maskHead, Path dir) {
        Map<Precision, GraphSet> out = new EnumMap<>(Precision.class);
        JsonNode sets = root.get("graph_sets");
        if (sets == null) return out;
        asObject(sets, "graph_sets");
        Iterator<Map.Entry<String, JsonNode>> it = sets.fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            String field = "graph_sets." + e.getKey();
            if (!e.getKey().equals(Precision.INT8.id())) {
                throw fail(field, "unknown graph set \"" + e.getKey() + "\" (expected \"int8\"; the fp32 graphs are "
                        + "'graphs')");
            }
            JsonNode set = asObject(e.getValue(), field);
            List<Precision> precisions = new ArrayList<>();
            GraphDeclaration b = setGraph(object(set, field, "backbone"), field + ".backbone", backbone, dir,
                    precisions);
            JsonNode boxNodes = array(set, field, "box_heads");
            if (boxNodes.size() != boxHeads.size()) {
                throw fail(field + ".box_heads", boxNodes.size() + " box heads for " + boxHeads.size()
                        + " in graphs.box_heads");
            }
            List<GraphDeclaration> boxes = new ArrayList<>();
            for (int k = 0; k < boxNodes.size(); k++) {
                String f = field + ".box_heads[" + k + "]";
                boxes.add(setGraph(asObject(boxNodes.get(k), f), f, boxHeads.get(k), dir, precisions));
            }
            GraphDeclaration m = maskHead == null ? null // a box-only model has no mask head in any set
                    : setGraph(object(set, field, "mask_head"), field + ".mask_head", maskHead, dir, precisions);
            if (!precisions.contains(Precision.INT8)) {
                throw fail(field, "no graph has precision \"int8\"");
            }
            out.put(Precision.INT8, new GraphSet(Precision.INT8, b, boxes, m, precisions));
        }
        return out;
    }

    private GraphDeclaration setGraph(JsonNode g, String field, GraphDeclaration fp32, Path dir,
            List<Precision> precisions) {
        String name = string(g, field, "file");
        Path path = dir.resolve(name);
        if (!Files.isRegularFile(path)) throw fail(field + ".file", "graph file " + path + " not found");
        String precision = string(g, field, "precision");
        if (precision.equals(Precision.INT8.id())) precisions.add(Precision.INT8);
        else if (precision.equals(Precision.FP32.id())) precisions.add(Precision.FP32);
        else throw fail(field + ".precision", "expected \"int8\" or \"fp32\", got \"" + precision + "\"");
        return new GraphDeclaration(field, name, fp32.inputs(), fp32.outputs());
    }

    private List<TensorSpec> tensors(JsonNode g, String field, String name) {
        JsonNode node = object(g, field, name);
        List<TensorSpec> out = new ArrayList<>();
        Iterator<Map.Entry<String, JsonNode>> it = node.fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            String f = field + "." + name + "." + e.getKey();
            JsonNode t = asObject(e.getValue(), f);
            String dtype = string(t, f, "dtype");
            if (!dtype.equals("float32")) throw fail(f + ".dtype", "expected \"float32\", got \"" + dtype + "\"");
            JsonNode shape = array(t, f, "shape");
            long[] sizes = new long[shape.size()];
            String[] symbols = new String[shape.size()];
            for (int i = 0; i < shape.size(); i++) {
                JsonNode d = shape.get(i);
                if (d.isTextual() && !d.asText().isEmpty()) {
                    sizes[i] = TensorSpec.DYNAMIC;
                    symbols[i] = d.asText();
                } else if (d.canConvertToInt() && d.isIntegralNumber() && d.asInt() >= 0) {
                    sizes[i] = d.asInt();
                } else {
                    throw fail(f + ".shape[" + i + "]", "expected a size >= 0 or a symbolic name, got " + d);
                }
            }
            out.add(new TensorSpec(e.getKey(), ElementType.FLOAT32, sizes, symbols));
        }
        if (out.isEmpty()) throw fail(field + "." + name, "must declare at least one tensor");
        return out;
    }

    // ---- typed field access; every failure names the field path

    private InputFormatException fail(String field, String problem) {
        return InputFormatException.at(file, null, field, problem);
    }

    private static String path(String parent, String name) {
        return parent.isEmpty() ? name : parent + "." + name;
    }

    private JsonNode field(JsonNode node, String parent, String name) {
        JsonNode v = node.get(name);
        if (v == null || v.isNull()) throw fail(path(parent, name), "missing");
        return v;
    }

    private JsonNode object(JsonNode node, String parent, String name) {
        return asObject(field(node, parent, name), path(parent, name));
    }

    private JsonNode object(JsonNode node, String name) {
        return object(node, "", name);
    }

    private JsonNode asObject(JsonNode v, String field) {
        if (!v.isObject()) throw fail(field, "expected an object, got " + v.getNodeType().toString().toLowerCase());
        return v;
    }

    private JsonNode array(JsonNode node, String parent, String name) {
        JsonNode v = field(node, parent, name);
        if (!v.isArray()) throw fail(path(parent, name), "expected an array, got " + brief(v));
        return v;
    }

    private String string(JsonNode node, String name) {
        return string(node, "", name);
    }

    private String string(JsonNode node, String parent, String name) {
        JsonNode v = field(node, parent, name);
        if (!v.isTextual()) throw fail(path(parent, name), "expected a string, got " + brief(v));
        return v.asText();
    }

    private int integer(JsonNode node, String name) {
        return integer(node, "", name);
    }

    private int integer(JsonNode node, String parent, String name) {
        return asInt(field(node, parent, name), path(parent, name));
    }

    private int positive(JsonNode node, String parent, String name) {
        int v = integer(node, parent, name);
        if (v < 1) throw fail(path(parent, name), "must be >= 1, got " + v);
        return v;
    }

    private int asInt(JsonNode v, String field) {
        if (!v.isIntegralNumber() || !v.canConvertToInt()) throw fail(field, "expected an integer, got " + brief(v));
        return v.asInt();
    }

    private double number(JsonNode node, String parent, String name) {
        JsonNode v = field(node, parent, name);
        if (!v.isNumber()) throw fail(path(parent, name), "expected a number, got " + brief(v));
        return v.asDouble();
    }

    private double threshold(JsonNode node, String parent, String name) {
        double v = number(node, parent, name);
        if (!(v >= 0) || Double.isInfinite(v)) throw fail(path(parent, name), "must be finite and >= 0, got " + v);
        return v;
    }

    private boolean bool(JsonNode node, String parent, String name) {
        JsonNode v = field(node, parent, name);
        if (!v.isBoolean()) throw fail(path(parent, name), "expected true or false, got " + brief(v));
        return v.asBoolean();
    }

    private double[] numbers(JsonNode node, String parent, String name, int count) {
        return numbers(field(node, parent, name), path(parent, name), count);
    }

    /** An array of numbers; {@code count < 0} accepts any length. */
    private double[] numbers(JsonNode v, String field, int count) {
        if (!v.isArray()) throw fail(field, "expected an array of numbers, got " + brief(v));
        if (count >= 0 && v.size() != count) throw fail(field, "expected " + count + " numbers, got " + v.size());
        double[] out = new double[v.size()];
        for (int i = 0; i < out.length; i++) {
            JsonNode e = v.get(i);
            if (!e.isNumber()) throw fail(field + "[" + i + "]", "expected a number, got " + brief(e));
            out[i] = e.asDouble();
        }
        return out;
    }

    private float[] weights(double[] values, String field) {
        float[] out = new float[values.length];
        for (int i = 0; i < values.length; i++) {
            if (!(values[i] > 0) || Double.isInfinite(values[i])) {
                throw fail(field + "[" + i + "]", "must be finite and > 0, got " + values[i]);
            }
            out[i] = (float) values[i];
        }
        return out;
    }

    private static String brief(JsonNode v) {
        String s = v.toString();
        return s.length() > 40 ? s.substring(0, 37) + "..." : s;
    }
}
