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
import java.util.Collections;
import java.util.List;

/**
 * detectron2's {@code GeneralizedRCNNWithTTA} ({@code detectron2/modeling/test_time_augmentation.py}) on the steps of
 * a {@link CascadePipeline}, one image at a time:
 *
 * <ol>
 *   <li>augmented inputs ({@code DatasetMapperTTA}): for each short side, the image resized, then (with flip) the
 *       same resized image flipped horizontally;</li>
 *   <li>boxes ({@code _get_augmented_boxes}): the augmented images go through the backbone {@value #BATCH_SIZE} at a
 *       time (detectron2's default {@code batch_size}, padded together as one batch), then proposals, the cascade
 *       box stages and the final detections of each, with the model's score threshold, NMS and detection cap; each
 *       box is mapped back to the original image by the inverse transforms (unflip, then scale);</li>
 *   <li>merge ({@code _merge_detections}): the union of those boxes, each with its one class score, through
 *       {@code fast_rcnn_inference_single_image} in the original image with score threshold {@code 1e-8}, the same
 *       NMS threshold and detection cap; scores are the surviving detections' own;</li>
 *   <li>masks ({@code _rescale_detected_boxes}, {@code _batch_inference} with the merged boxes,
 *       {@code _reduce_pred_masks}): the merged boxes mapped into every augmented image (scale, then flip), the
 *       backbone run again on the same batches, the mask head on those boxes, flipped masks flipped back, and the
 *       28×28 probabilities averaged over the augmentations;</li>
 *   <li>{@code detector_postprocess} in the original image (scale 1): clip, drop empty boxes, paste.</li>
 * </ol>
 * A box-only model (no mask head) stops after the merge and returns the merged detections as they are, as
 * detectron2 does when {@code MODEL.MASK_ON} is false (no {@code detector_postprocess}, so no empty-box filter).
 *
 * Thread-safe (as the pipeline is); every call owns its buffers.
 */
public final class TestTimeAugmentation implements AugmentedInference {
    /** Augmented images per backbone run: {@code GeneralizedRCNNWithTTA}'s default {@code batch_size}. */
    public static final int BATCH_SIZE = 3;
    /** {@code _merge_detections} calls {@code fast_rcnn_inference_single_image} with score threshold 1e-8. */
    static final float MERGE_SCORE_THRESHOLD = 1e-8f;

    private final CascadePipeline pipeline;
    private final Preprocessor preprocessor;
    private final List<Augmentation> augmentations;

    /**
     * @param pipeline the model's steps
     * @param preprocessor normalising and padding as the model's input settings say (its own resize is not used)
     * @param aug the sizes and flip ({@code TEST.AUG}); {@code enabled} is not looked at
     */
    public TestTimeAugmentation(CascadePipeline pipeline, Preprocessor preprocessor, TestAugSettings aug) {
        if (pipeline == null) throw new IllegalArgumentException("pipeline must not be null");
        if (preprocessor == null) throw new IllegalArgumentException("preprocessor must not be null");
        if (aug == null) throw new IllegalArgumentException("aug must not be null");
        this.pipeline = pipeline;
        this.preprocessor = preprocessor;
        this.augmentations = augmentations(aug);
    }

    /** DatasetMapperTTA's order: for each min size, resize only, then resize + flip. */
    static List<Augmentation> augmentations(TestAugSettings aug) {
        List<Augmentation> out = new ArrayList<>();
        for (int minSize : aug.minSizes()) {
            ResizeShortestEdge resize = new ResizeShortestEdge(minSize, aug.maxSize());
            out.add(new Augmentation(resize, false));
            if (aug.flip()) out.add(new Augmentation(resize, true));
        }
        return List.copyOf(out);
    }

    @Override
    public List<Augmentation> augmentations() { return augmentations; }

    /**
     * Runs TTA on one decoded image.
     *
     * @param settings the model's (or the user's) score threshold, NMS threshold, detection cap and mask threshold
     */
    @Override
    public TtaResult run(DecodedImage image, DetectionSettings settings, StageTimer timer) {
        if (image == null) throw new IllegalArgumentException("image must not be null");
        if (settings == null) throw new IllegalArgumentException("settings must not be null");
        if (timer == null) throw new IllegalArgumentException("timer must not be null");
        List<PreprocessedBatch> batches = preprocess(image, timer);

        // detect boxes from all augmented versions, mapped back to the original image
        List<Detections> augmented = new ArrayList<>();
        forEachAugmented(batches, timer, (backbone, n, g, aug) ->
                augmented.add(toOriginal(pipeline.detectBoxes(backbone, n, g, settings, timer).detections(), g, aug)));

        // merge all detected boxes to obtain the final boxes
        long t = System.nanoTime();
        Detections merged = merge(augmented, image.height(), image.width(), settings);
        timer.add("detections", System.nanoTime() - t);
        if (merged.count() == 0) {
            return new TtaResult(List.of(), augmentations, augmented, merged, new MaskProbabilities(new float[0], 1, 1));
        }
        if (!pipeline.hasMasks()) { // a box-only model: the merged detections as they are, no detector_postprocess
            return new TtaResult(instances(merged), augmentations, augmented, merged, null);
        }

        // masks of the merged boxes in every augmented image (backbone run again, as detectron2 does), averaged
        List<MaskProbabilities> masks = new ArrayList<>();
        forEachAugmented(batches, timer, (backbone, n, g, aug) -> {
            MaskProbabilities m = pipeline.predictMasks(backbone, n, toAugmented(merged, g, aug), timer);
            masks.add(aug.hflip() ? flipped(m) : m);
        });
        MaskProbabilities average = average(masks);

        // detector_postprocess in the original image: the merged boxes are there already (scale 1)
        ImageGeometry original = new ImageGeometry(image.height(), image.width(), image.height(), image.width());
        CascadePipeline.Pasted pasted = pipeline.postprocess(merged, average, original, settings, timer);
        return new TtaResult(pasted.instances(), augmentations, augmented, merged, pasted.masks());
    }

    private interface AugmentedStep {
        void accept(BackboneOutput backbone, int n, ImageGeometry g, Augmentation aug);
    }

    /** The augmented images of {@code image}, {@link #BATCH_SIZE} per padded batch, in augmentation order. */
    private List<PreprocessedBatch> preprocess(DecodedImage image, StageTimer timer) {
        long t = System.nanoTime();
        List<PreprocessedBatch> batches = new ArrayList<>();
        for (int from = 0; from < augmentations.size(); from += BATCH_SIZE) {
            List<Augmentation> chunk = augmentations.subList(from, Math.min(augmentations.size(), from + BATCH_SIZE));
            batches.add(preprocessor.preprocess(Collections.nCopies(chunk.size(), image), chunk));
        }
        timer.add("preprocess", System.nanoTime() - t);
        return batches;
    }

    /** Runs the backbone on each batch and {@code step} on each of its images, in augmentation order. */
    private void forEachAugmented(List<PreprocessedBatch> batches, StageTimer timer, AugmentedStep step) {
        int a = 0;
        for (PreprocessedBatch batch : batches) {
            BackboneOutput backbone = pipeline.backbone(batch, timer);
            for (int n = 0; n < batch.size(); n++) step.accept(backbone, n, batch.image(n), augmentations.get(a++));
        }
    }

    /**
     * {@code tfm.inverse().apply_box}: each transform of the inverse list in turn (unflip {@code x -> w - x}, then
     * the inverse resize {@code x * float32(W / w)}, {@code y * float32(H / h)}), each taking the min and max of the
     * box's transformed corners, in float32 as numpy computes on the float32 boxes.
     */
    static Detections toOriginal(Detections d, ImageGeometry g, Augmentation aug) {
        float[] b = d.boxes().clone();
        if (aug.hflip()) flipBoxes(b, g.resizedWidth());
        scaleBoxes(b, (float) g.scaleX(), (float) g.scaleY());
        return new Detections(b, d.scores(), d.classes());
    }

    /** {@code tfm.apply_box} of {@code _rescale_detected_boxes}: resize {@code x * float32(w / W)}, then flip. */
    static Detections toAugmented(Detections merged, ImageGeometry g, Augmentation aug) {
        float[] b = merged.boxes().clone();
        scaleBoxes(b, (float) ((double) g.resizedWidth() / g.originalWidth()),
                (float) ((double) g.resizedHeight() / g.originalHeight()));
        if (aug.hflip()) flipBoxes(b, g.resizedWidth());
        return new Detections(b, merged.scores(), merged.classes());
    }

    /** fvcore's HFlipTransform.apply_box: corners {@code x -> width - x}, then min and max. */
    private static void flipBoxes(float[] b, int width) {
        for (int i = 0; i < b.length; i += 4) {
            float a = width - b[i], c = width - b[i + 2];
            b[i] = Math.min(a, c);
            b[i + 2] = Math.max(a, c);
        }
    }

    /** ResizeTransform.apply_box: {@code x * sx}, {@code y * sy} (positive factors keep each box's corner order). */
    private static void scaleBoxes(float[] b, float sx, float sy) {
        for (int i = 0; i < b.length; i += 4) {
            b[i] *= sx;
            b[i + 1] *= sy;
            b[i + 2] *= sx;
            b[i + 3] *= sy;
        }
    }

    /**
     * {@code _merge_detections}: every augmented detection becomes one row whose score sits in its class's column
     * (all other columns 0, background included), then {@code fast_rcnn_inference_single_image} in the original
     * image with score threshold 1e-8 and the model's NMS threshold and detection cap.
     */
    Detections merge(List<Detections> augmented, int height, int width, DetectionSettings settings) {
        int rows = 0;
        for (Detections d : augmented) rows += d.count();
        int cols = pipeline.manifest().numClasses() + 1;
        float[] boxes = new float[4 * rows], scores = new float[rows * cols];
        int r = 0;
        for (Detections d : augmented) {
            System.arraycopy(d.boxes(), 0, boxes, 4 * r, 4 * d.count());
            for (int i = 0; i < d.count(); i++, r++) scores[r * cols + d.classes()[i]] = d.scores()[i];
        }
        DetectionSettings merge = new DetectionSettings(MERGE_SCORE_THRESHOLD, settings.nmsThreshold(),
                settings.detectionsPerImage(), settings.maskThreshold());
        return pipeline.select(boxes, scores, height, width, merge);
    }

    /** The merged detections of a box-only model as instances (boxes already clipped to the original image). */
    private List<Instance> instances(Detections merged) {
        return boxOnlyInstances(merged, pipeline.manifest().classNames());
    }

    /** Instances without masks of detections already in original-image pixels. */
    static List<Instance> boxOnlyInstances(Detections merged, List<String> names) {
        List<Instance> out = new ArrayList<>(merged.count());
        float[] b = merged.boxes();
        for (int i = 0; i < merged.count(); i++) {
            int c = merged.classes()[i];
            out.add(new Instance(c, names.get(c), merged.scores()[i], b[4 * i], b[4 * i + 1], b[4 * i + 2],
                    b[4 * i + 3], null));
        }
        return out;
    }

    /** {@code pred_masks.flip(dims=[3])}: each mask mirrored left to right. */
    static MaskProbabilities flipped(MaskProbabilities m) {
        float[] v = m.values().clone();
        int w = m.width();
        for (int row = 0; row < v.length; row += w) {
            for (int a = row, b = row + w - 1; a < b; a++, b--) {
                float t = v[a];
                v[a] = v[b];
                v[b] = t;
            }
        }
        return new MaskProbabilities(v, m.height(), m.width());
    }

    /** {@code torch.mean(torch.stack(masks), dim=0)}: summed in augmentation order, then divided by the count. */
    static MaskProbabilities average(List<MaskProbabilities> masks) {
        MaskProbabilities first = masks.get(0);
        return new MaskProbabilities(mean(masks.stream().map(MaskProbabilities::values).toList()), first.height(),
                first.width());
    }

    /** {@code torch.stack(arrays).mean(0)} in float32: summed element-wise in list order, then divided by the count. */
    static float[] mean(List<float[]> arrays) {
        float[] sum = arrays.get(0).clone();
        for (int k = 1; k < arrays.size(); k++) {
            float[] v = arrays.get(k);
            for (int i = 0; i < sum.length; i++) sum[i] += v[i];
        }
        float n = arrays.size();
        for (int i = 0; i < sum.length; i++) sum[i] /= n;
        return sum;
    }
}
