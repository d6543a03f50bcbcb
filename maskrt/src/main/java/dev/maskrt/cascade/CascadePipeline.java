package dev.maskrt.cascade;

import dev.maskrt.config.StageTimer;

import dev.maskrt.config.DetectionSettings;

import dev.maskrt.engine.Engine;
import dev.maskrt.engine.HostTensor;
import dev.maskrt.image.ImageGeometry;
import dev.maskrt.image.PreprocessedBatch;
import dev.maskrt.model.ModelManifest;
import dev.maskrt.model.ModelPackage;
import dev.maskrt.model.TensorNames;
import dev.maskrt.ops.FeatureMap;
import dev.maskrt.ops.SparseOps;
import dev.maskrt.output.Instance;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * detectron2's {@code GeneralizedRCNN} inference on a pre-processed batch, in paper order, written once against
 * {@link dev.maskrt.engine.Engine} and the ops interfaces ({@code docs/MODEL_PACKAGE.md} gives every rule): backbone
 * on the padded batch; then per image proposals, the box stages (three for {@code CascadeROIHeads}, one for
 * {@code StandardROIHeads}), the final detections, the mask head when the model has one, and detector_postprocess
 * with mask pasting. A box-only model (Faster R-CNN) gives instances without masks.
 *
 * <p>Thread-safe: {@link #run} may be called concurrently (engines and ops are thread-safe; every call owns its
 * buffers). The pipeline does not own the model package or the ops' workers: close them yourself.
 */
public final class CascadePipeline {
    private final ModelManifest manifest;
    private final Engine backbone;
    private final ProposalGenerator proposals;
    private final CascadeBoxStages boxStages;
    private final DetectionSelector selector;
    private final MaskPredictor masks;
    private final DetectorPostprocess postprocess;
    private final BoxRules rules;

    public CascadePipeline(ModelPackage model, SparseOps ops) {
        this(requireModel(model).manifest(), model.backbone(), boxHeads(model), model.maskHead(), ops);
    }

    /**
     * The pipeline on the given graphs instead of a package's: tests replay recorded graph outputs through it
     * ({@code DenseReplayParityTest}), so the sparse steps can be checked apart from the engine's numerics.
     */
    CascadePipeline(ModelManifest manifest, Engine backbone, List<Engine> boxHeads, Engine maskHead, SparseOps ops) {
        if (ops == null) throw new IllegalArgumentException("ops must not be null");
        this.manifest = manifest;
        this.backbone = backbone;
        // the conventions (detectron2's, or maskrcnn-benchmark's legacy rules) choose the box ops of every step
        this.rules = new BoxRules(manifest.conventions(), ops.boxTransform(), ops.nms());
        this.proposals = new ProposalGenerator(manifest.anchors(), manifest.rpn(), this.rules);
        var box = manifest.roiHeads().boxPooler();
        this.boxStages = new CascadeBoxStages(manifest.roiHeads(), boxHeads,
                new RoiPooler(box, ops.roiAlign(), this.rules.levelMapping(box)), this.rules);
        this.selector = new DetectionSelector(this.rules);
        var mask = manifest.roiHeads().maskPooler();
        this.masks = manifest.hasMasks() ? new MaskPredictor(maskHead, new RoiPooler(mask, ops.roiAlign(),
                this.rules.levelMapping(mask)), manifest.roiHeads().maskClassAgnostic()) : null;
        this.postprocess = new DetectorPostprocess(ops.boxTransform(), ops.maskPaster(), manifest.conventions());
    }

    private static ModelPackage requireModel(ModelPackage model) {
        if (model == null) throw new IllegalArgumentException("model must not be null");
        return model;
    }

    private static List<Engine> boxHeads(ModelPackage model) {
        List<Engine> heads = new ArrayList<>();
        for (int k = 0; k < model.manifest().roiHeads().stages(); k++) heads.add(model.boxHead(k));
        return heads;
    }

    public ModelManifest manifest() { return manifest; }

    /**
     * Runs the pipeline on {@code batch} (made by a {@link dev.maskrt.image.Preprocessor} with the manifest's input
     * settings).
     *
     * @param settings score/NMS thresholds, detections per image and mask threshold
     * @param timer receives the time of each stage ({@link StageTimer#NONE} for none)
     * @return one result per image of the batch, in batch order; an empty batch gives an empty list
     */
    public List<ImageResult> run(PreprocessedBatch batch, DetectionSettings settings, StageTimer timer) {
        if (batch == null) throw new IllegalArgumentException("batch must not be null");
        if (settings == null) throw new IllegalArgumentException("settings must not be null");
        if (timer == null) throw new IllegalArgumentException("timer must not be null");
        if (batch.size() == 0) return List.of();
        BackboneOutput backbone = backbone(batch, timer);
        List<ImageResult> results = new ArrayList<>(batch.size());
        for (int n = 0; n < batch.size(); n++) results.add(runImage(backbone, n, batch.image(n), settings, timer));
        return results;
    }

    private ImageResult runImage(BackboneOutput backbone, int n, ImageGeometry g, DetectionSettings settings,
            StageTimer timer) {
        BoxDetections b = detectBoxes(backbone, n, g, settings, timer);
        Detections d = b.detections();
        if (d.count() == 0) return new ImageResult(List.of(), b.proposals(), b.stages(), d, NO_MASKS);
        MaskProbabilities probs = hasMasks() ? predictMasks(backbone, n, maskRois(d, g), timer) : null;
        Pasted pasted = postprocess(d, probs, g, settings, timer);
        return new ImageResult(pasted.instances(), b.proposals(), b.stages(), d, pasted.masks());
    }

    // ---- the steps, also used one by one by TestTimeAugmentation

    private static final MaskProbabilities NO_MASKS = new MaskProbabilities(new float[0], 1, 1);

    /** Whether the model predicts masks (false for a box-only model). */
    boolean hasMasks() { return masks != null; }

    /** The backbone on a padded batch. */
    BackboneOutput backbone(PreprocessedBatch batch, StageTimer timer) {
        long t = System.nanoTime();
        Map<String, HostTensor> out = backbone.run(Map.of(TensorNames.IMAGE,
                HostTensor.wrap(batch.data(), batch.shape())));
        BackboneOutput b = new BackboneOutput(out, manifest.anchors());
        timer.add("backbone", System.nanoTime() - t);
        return b;
    }

    /**
     * What the box side gives for image {@code n} of a batch: the proposals, the cascade stages (null when there
     * are no proposals) and the final detections in resized-image pixels.
     */
    record BoxDetections(Proposals proposals, StageOutput stages, Detections detections) {}

    /** Proposals, cascade box stages and final detections of image {@code n} (detectron2 with mask_on off). */
    BoxDetections detectBoxes(BackboneOutput backbone, int n, ImageGeometry g, DetectionSettings settings,
            StageTimer timer) {
        int h = g.resizedHeight(), w = g.resizedWidth();
        long t = System.nanoTime();
        Proposals p = proposals.propose(backbone, n, h, w);
        timer.add("proposals", System.nanoTime() - t);
        if (p.count() == 0) return new BoxDetections(p, null, Detections.empty());

        FeatureMap[] boxLevels = backbone.select(manifest.roiHeads().boxPooler().levels(), manifest.anchors());
        StageOutput stages = boxStages.run(boxLevels, p.boxes(), n, h, w, timer);

        t = System.nanoTime();
        Detections d = selector.select(stages.boxes(), stages.scores(), manifest.numClasses(), h, w, settings, g);
        timer.add("detections", System.nanoTime() - t);
        return new BoxDetections(p, stages, d);
    }

    /** The RPN proposals of image {@code n} of a batch (resized-image pixels, descending logit). */
    Proposals proposals(BackboneOutput backbone, int n, ImageGeometry g, StageTimer timer) {
        long t = System.nanoTime();
        Proposals p = proposals.propose(backbone, n, g.resizedHeight(), g.resizedWidth());
        timer.add("proposals", System.nanoTime() - t);
        return p;
    }

    /** The box stages of image {@code n} on the given boxes ({@code float[4R]}, R >= 1, resized-image pixels). */
    StageOutput boxStages(BackboneOutput backbone, int n, float[] boxes, ImageGeometry g, StageTimer timer) {
        FeatureMap[] boxLevels = backbone.select(manifest.roiHeads().boxPooler().levels(), manifest.anchors());
        return boxStages.run(boxLevels, boxes, n, g.resizedHeight(), g.resizedWidth(), timer);
    }

    /** Clips boxes in place to an image of {@code height × width} by the model's rules. */
    void clip(float[] boxes, int height, int width) {
        rules.clip(boxes, height, width);
    }

    /** The model's NMS (its conventions') of one group, kept in descending score order. */
    int[] nms(float[] boxes, float[] scores, double threshold) {
        return rules.nms(boxes, scores, threshold);
    }

    /** {@link DetectionSelector#selectMerged}: merged TTA boxes in original pixels, neither clipped nor rescaled. */
    Detections selectMerged(float[] boxes, float[] scores, DetectionSettings settings) {
        return selector.selectMerged(boxes, scores, manifest.numClasses(), settings);
    }

    /**
     * detectron2's {@code fast_rcnn_inference_single_image} on class-agnostic boxes {@code float[4R]} and scores
     * {@code float[R * (K + 1)]} (background last) in an image of {@code height × width}.
     */
    Detections select(float[] boxes, float[] scores, int height, int width, DetectionSettings settings) {
        return selector.select(boxes, scores, manifest.numClasses(), height, width, settings);
    }

    /**
     * The detections whose boxes the mask head pools, in resized pixels: {@code d} itself, or with mmdetection's
     * conventions (detections already in original pixels) {@code d}'s boxes times the scale factors
     * ({@code det_bboxes[:, :4] * scale_factor}, test_mixins.py / cascade_roi_head.py simple_test).
     */
    private Detections maskRois(Detections d, ImageGeometry g) {
        if (!manifest.conventions().rescaleFirstPostprocess()) return d;
        return new Detections(DetectorPostprocess.timesScaleFactor(d.boxes(), g), d.scores(), d.classes());
    }

    /** Mask probabilities of {@code d.count() >= 1} detections of image {@code n} (boxes in its resized pixels). */
    MaskProbabilities predictMasks(BackboneOutput backbone, int n, Detections d, StageTimer timer) {
        long t = System.nanoTime();
        FeatureMap[] maskLevels = backbone.select(manifest.roiHeads().maskPooler().levels(), manifest.anchors());
        MaskProbabilities probs = masks.predict(maskLevels, d, n);
        timer.add("mask head", System.nanoTime() - t);
        return probs;
    }

    /**
     * The instances of detector_postprocess + paste, and the mask probabilities of those kept, in instance order
     * (null for a box-only model).
     */
    record Pasted(List<Instance> instances, MaskProbabilities masks) {}

    /**
     * detector_postprocess: boxes of {@code d} scaled from {@code g}'s resized to its original size, masks pasted
     * ({@code probs} null for a box-only model: instances without masks).
     */
    Pasted postprocess(Detections d, MaskProbabilities probs, ImageGeometry g, DetectionSettings settings,
            StageTimer timer) {
        long t = System.nanoTime();
        DetectorPostprocess.Scaled scaled = postprocess.scale(d, g);
        MaskProbabilities kept = probs == null ? null : keep(probs, scaled.kept());
        var instances = postprocess.paste(scaled, d, kept, g, manifest.classNames(), settings.maskThreshold());
        timer.add("paste", System.nanoTime() - t);
        return new Pasted(instances, kept);
    }

    private static MaskProbabilities keep(MaskProbabilities m, int[] rows) {
        int plane = m.height() * m.width();
        if (rows.length == m.count()) return m;
        float[] out = new float[rows.length * plane];
        for (int i = 0; i < rows.length; i++) System.arraycopy(m.values(), rows[i] * plane, out, i * plane, plane);
        return new MaskProbabilities(out, m.height(), m.width());
    }
}
