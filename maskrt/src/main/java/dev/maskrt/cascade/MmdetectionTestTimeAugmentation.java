package dev.maskrt.cascade;

import dev.maskrt.config.DetectionSettings;
import dev.maskrt.config.StageTimer;
import dev.maskrt.image.Augmentation;
import dev.maskrt.image.DecodedImage;
import dev.maskrt.image.ImageGeometry;
import dev.maskrt.image.PreprocessedBatch;
import dev.maskrt.image.Preprocessor;
import dev.maskrt.image.ResizeShortestEdge;
import dev.maskrt.model.TestAugSettings;
import dev.maskrt.output.Instance;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * mmdetection 2.x's test-time augmentation of a two-stage model, with or without masks
 * ({@code TwoStageDetector.aug_test}, {@code mmdet/models/detectors/two_stage.py}:185-194 at v2.16.0) on the steps of
 * a {@link CascadePipeline}, one image at a time. The augmented images are {@code MultiScaleFlipAug}'s: for each {@code img_scale} (long, short), the
 * image rescaled ({@code imrescale}), then with {@code flip} the same rescaled image flipped horizontally; each goes
 * through the backbone alone.
 *
 * <ol>
 *   <li>proposals ({@code RPNTestMixin.aug_test_rpn}, {@code dense_test_mixins.py}:128-163): each augmented image's
 *       RPN proposals, mapped back to the original image ({@code bbox_mapping_back}: unflip in the augmented image,
 *       then divide by its scale factor), concatenated in augmentation order, one NMS over all of them with the
 *       RPN's threshold by their sigmoid scores, sorted by score, the first {@code rpn.post_nms_topk}
 *       ({@code merge_aug_proposals}, {@code mmdet/core/post_processing/merge_augs.py}:14-80);</li>
 *   <li>boxes ({@code CascadeRoIHead.aug_test}, {@code cascade_roi_head.py}:458-523; the standard heads'
 *       {@code aug_test_bboxes}, {@code test_mixins.py}:138): the merged proposals mapped into every augmented image
 *       ({@code bbox_mapping}: scale, then flip), the box stages there (softmax of the stages' mean logits), the last
 *       stage's boxes clipped to the augmented image and mapped back; boxes and scores averaged over the
 *       augmentations ({@code merge_aug_bboxes}, :83-118, float32 {@code mean});</li>
 *   <li>{@code multiclass_nms} on the averaged boxes in the original image (no clip, no rescale);</li>
 *   <li>masks ({@code aug_test}'s mask part, {@code cascade_roi_head.py}:524-557; {@code aug_test_mask},
 *       {@code test_mixins.py}:281): the detections mapped into every augmented image, the mask head there (a cascade's
 *       three heads averaged), flipped masks flipped back, the probabilities averaged over the augmentations
 *       ({@code merge_aug_masks}) and pasted into the detections' boxes at the original size
 *       ({@code get_seg_masks} with unit scale factors). mmdetection averages all augmentations × stages in one
 *       {@code np.mean}; maskrt averages each augmentation's three-stage mean: the same up to float rounding.</li>
 * </ol>
 * Thread-safe (as the pipeline is).
 */
public final class MmdetectionTestTimeAugmentation implements AugmentedInference {
    private final CascadePipeline pipeline;
    private final Preprocessor preprocessor;
    private final List<Augmentation> augmentations;

    /**
     * @param pipeline the model's steps (an mmdetection package)
     * @param preprocessor normalising and padding as the model's input settings say (its own resize is not used)
     * @param aug the {@code img_scale} pairs ({@code maxSizes[i]}, {@code minSizes[i]}) and flip
     */
    public MmdetectionTestTimeAugmentation(CascadePipeline pipeline, Preprocessor preprocessor, TestAugSettings aug) {
        if (pipeline == null) throw new IllegalArgumentException("pipeline must not be null");
        if (preprocessor == null) throw new IllegalArgumentException("preprocessor must not be null");
        if (aug == null) throw new IllegalArgumentException("aug must not be null");
        this.pipeline = pipeline;
        this.preprocessor = preprocessor;
        this.augmentations = augmentations(aug);
    }

    /** {@code MultiScaleFlipAug}'s order: for each scale, no flip, then horizontal flip. */
    static List<Augmentation> augmentations(TestAugSettings aug) {
        List<Augmentation> out = new ArrayList<>();
        int[] shorts = aug.minSizes(), longs = aug.maxSizes();
        for (int i = 0; i < shorts.length; i++) {
            ResizeShortestEdge resize = ResizeShortestEdge.mmdetection(shorts[i], longs[i]);
            out.add(new Augmentation(resize, false));
            if (aug.flip()) out.add(new Augmentation(resize, true));
        }
        return List.copyOf(out);
    }

    @Override
    public List<Augmentation> augmentations() { return augmentations; }

    @Override
    public TtaResult run(DecodedImage image, DetectionSettings settings, StageTimer timer) {
        if (image == null) throw new IllegalArgumentException("image must not be null");
        if (settings == null) throw new IllegalArgumentException("settings must not be null");
        if (timer == null) throw new IllegalArgumentException("timer must not be null");
        int a = augmentations.size();
        BackboneOutput[] backbones = new BackboneOutput[a];
        ImageGeometry[] geometry = new ImageGeometry[a];
        for (int k = 0; k < a; k++) { // each augmented image alone (extract_feats: one image per augmentation)
            long t = System.nanoTime();
            PreprocessedBatch batch = preprocessor.preprocess(List.of(image), List.of(augmentations.get(k)));
            timer.add("preprocess", System.nanoTime() - t);
            backbones[k] = pipeline.backbone(batch, timer);
            geometry[k] = batch.image(0);
        }
        float[] proposals = mergedProposals(backbones, geometry, timer);
        if (proposals.length == 0) {
            return new TtaResult(List.of(), augmentations, List.of(), Detections.empty(), null);
        }
        long t = System.nanoTime();
        List<Detections> augmented = new ArrayList<>();
        List<float[]> boxes = new ArrayList<>(), scores = new ArrayList<>();
        for (int k = 0; k < a; k++) {
            StageOutput s = pipeline.boxStages(backbones[k], 0, toAugmented(proposals, geometry[k], k), geometry[k],
                    timer);
            float[] clipped = s.boxes().clone();
            pipeline.clip(clipped, geometry[k].resizedHeight(), geometry[k].resizedWidth()); // get_bboxes' max_shape
            float[] back = toOriginal(clipped, geometry[k], k);
            augmented.add(new Detections(back, s.scores(), new int[0]));
            boxes.add(back);
            scores.add(s.scores());
        }
        Detections merged = pipeline.selectMerged(TestTimeAugmentation.mean(boxes), TestTimeAugmentation.mean(scores),
                settings);
        timer.add("detections", System.nanoTime() - t);
        if (merged.count() > 0 && pipeline.hasMasks()) {
            // aug masks: the merged boxes mapped into every augmented image, its mask head(s) there, flipped masks
            // flipped back, all averaged (merge_aug_masks); pasted into the merged boxes at the original size
            List<MaskProbabilities> masks = new ArrayList<>();
            for (int k = 0; k < a; k++) {
                Detections rois = new Detections(toAugmented(merged.boxes(), geometry[k], k), merged.scores(),
                        merged.classes());
                MaskProbabilities m = pipeline.predictMasks(backbones[k], 0, rois, timer);
                masks.add(augmentations.get(k).hflip() ? TestTimeAugmentation.flipped(m) : m);
            }
            MaskProbabilities average = TestTimeAugmentation.average(masks);
            ImageGeometry original = new ImageGeometry(image.height(), image.width(), image.height(), image.width());
            CascadePipeline.Pasted pasted = pipeline.postprocess(merged, average, original, settings, timer);
            return new TtaResult(pasted.instances(), augmentations, augmented, merged, pasted.masks());
        }
        List<Instance> instances = TestTimeAugmentation.boxOnlyInstances(merged, pipeline.manifest().classNames());
        return new TtaResult(instances, augmentations, augmented, merged, null);
    }

    /** merge_aug_proposals: every augmentation's proposals in original pixels, one NMS, best first, capped. */
    private float[] mergedProposals(BackboneOutput[] backbones, ImageGeometry[] geometry, StageTimer timer) {
        float[] all = new float[0], scores = new float[0];
        for (int k = 0; k < backbones.length; k++) {
            Proposals p = pipeline.proposals(backbones[k], 0, geometry[k], timer);
            float[] back = toOriginal(p.boxes(), geometry[k], k);
            int o = scores.length;
            all = Arrays.copyOf(all, all.length + back.length);
            System.arraycopy(back, 0, all, 4 * o, back.length);
            scores = Arrays.copyOf(scores, o + p.count());
            for (int i = 0; i < p.count(); i++) scores[o + i] = Activations.sigmoid(p.logits()[i]); // proposals[:, 4]
        }
        long t = System.nanoTime();
        int[] keep = pipeline.nms(all, scores, pipeline.manifest().rpn().nmsThreshold()); // descending score order
        int count = Math.min(keep.length, pipeline.manifest().rpn().postNmsTopk());
        float[] out = new float[4 * count];
        for (int i = 0; i < count; i++) System.arraycopy(all, 4 * keep[i], out, 4 * i, 4);
        timer.add("proposals", System.nanoTime() - t);
        return out;
    }

    /** bbox_mapping_back: unflip in the augmented image (its resized width), then divide by its scale factors. */
    private float[] toOriginal(float[] boxes, ImageGeometry g, int k) {
        float[] out = augmentations.get(k).hflip() ? flipped(boxes, g.resizedWidth()) : boxes.clone();
        DetectorPostprocess.divideByScaleFactor(out, g);
        return out;
    }

    /** bbox_mapping: multiply by the scale factors, then flip in the augmented image. */
    private float[] toAugmented(float[] boxes, ImageGeometry g, int k) {
        float[] out = DetectorPostprocess.timesScaleFactor(boxes, g);
        return augmentations.get(k).hflip() ? flipped(out, g.resizedWidth()) : out;
    }

    /** bbox_flip horizontal: {@code x0' = w - x1}, {@code x1' = w - x0}. */
    private static float[] flipped(float[] boxes, int width) {
        float[] out = boxes.clone();
        for (int i = 0; i < boxes.length; i += 4) {
            out[i] = width - boxes[i + 2];
            out[i + 2] = width - boxes[i];
        }
        return out;
    }
}
