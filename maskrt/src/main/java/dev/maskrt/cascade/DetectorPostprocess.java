package dev.maskrt.cascade;

import dev.maskrt.image.ImageGeometry;
import dev.maskrt.ops.BoxTransform;
import dev.maskrt.ops.MaskPaster;
import dev.maskrt.output.CompactMask;
import dev.maskrt.output.Instance;
import java.util.ArrayList;
import java.util.List;

/**
 * detectron2's {@code detector_postprocess} and {@code paste_masks_in_image}: scale the boxes from the resized to
 * the original image, clip, drop empty boxes, and paste each mask into its box as a {@link CompactMask}
 * (maskrcnn-benchmark: scale only; mmdetection: boxes already scaled by {@link DetectionSelector}, nothing clipped or
 * dropped, masks pasted by {@code FCNMaskHead.get_seg_masks}, the same grid-sample paste). Thread-safe.
 */
final class DetectorPostprocess {
    private final BoxTransform boxes;
    private final MaskPaster paster;
    private final dev.maskrt.model.Conventions conventions;

    /**
     * With the model's conventions: maskrcnn-benchmark's ({@code postprocess: "scale_only"}) only scales the boxes
     * ({@code BoxList.resize}, what coco_eval.py does before writing), and pastes with its {@code Masker}.
     */
    DetectorPostprocess(BoxTransform boxes, MaskPaster paster, dev.maskrt.model.Conventions conventions) {
        this.boxes = boxes;
        this.paster = paster;
        this.conventions = conventions;
    }

    /**
     * Indices of the detections kept, their boxes in original-image pixels, and the boxes their masks are pasted
     * into (the same boxes, except with mmdetection's conventions).
     */
    record Scaled(int[] kept, float[] boxes, float[] pasteBoxes) {
        Scaled(int[] kept, float[] boxes) {
            this(kept, boxes, boxes);
        }
    }

    /** mmdetection's {@code scale_factor} of a resize: {@code float32(new_w / w)}, {@code float32(new_h / h)}. */
    static float[] mmdetectionScaleFactors(ImageGeometry g) {
        return new float[] {(float) ((double) g.resizedWidth() / g.originalWidth()),
                (float) ((double) g.resizedHeight() / g.originalHeight())};
    }

    /** {@code boxes * scale_factor} (mmdetection), as a new array. */
    static float[] timesScaleFactor(float[] boxes, ImageGeometry g) {
        float[] sf = mmdetectionScaleFactors(g), out = boxes.clone();
        for (int i = 0; i < out.length; i += 4) {
            out[i] *= sf[0];
            out[i + 1] *= sf[1];
            out[i + 2] *= sf[0];
            out[i + 3] *= sf[1];
        }
        return out;
    }

    /** {@code boxes / scale_factor} (mmdetection), in place. */
    static void divideByScaleFactor(float[] boxes, ImageGeometry g) {
        float[] sf = mmdetectionScaleFactors(g);
        for (int i = 0; i < boxes.length; i += 4) {
            boxes[i] /= sf[0];
            boxes[i + 1] /= sf[1];
            boxes[i + 2] /= sf[0];
            boxes[i + 3] /= sf[1];
        }
    }

    Scaled scale(Detections d, ImageGeometry g) {
        if (conventions.rescaleFirstPostprocess()) {
            // the detections are in original pixels already; get_seg_masks pastes into (box * sf) / sf
            float[] paste = timesScaleFactor(d.boxes(), g);
            divideByScaleFactor(paste, g);
            int[] all = new int[d.count()];
            for (int i = 0; i < all.length; i++) all[i] = i;
            return new Scaled(all, d.boxes().clone(), paste);
        }
        float[] b = d.boxes().clone();
        // torch multiplies the float32 boxes by the Python float ratio, which it rounds to float32 first
        float sx = (float) g.scaleX(), sy = (float) g.scaleY();
        for (int i = 0; i < b.length; i += 4) {
            b[i] *= sx;
            b[i + 1] *= sy;
            b[i + 2] *= sx;
            b[i + 3] *= sy;
        }
        if (conventions.scaleOnlyPostprocess()) {
            int[] all = new int[b.length / 4];
            for (int i = 0; i < all.length; i++) all[i] = i;
            return new Scaled(all, b);
        }
        boxes.clip(b, g.originalHeight(), g.originalWidth());
        int[] kept = boxes.nonEmpty(b, 0f);
        float[] out = new float[4 * kept.length];
        for (int i = 0; i < kept.length; i++) System.arraycopy(b, 4 * kept[i], out, 4 * i, 4);
        return new Scaled(kept, out);
    }

    /** The instances of the kept detections, masks pasted with {@code threshold} ({@code masks} null: none). */
    List<Instance> paste(Scaled s, Detections d, MaskProbabilities masks, ImageGeometry g, List<String> classNames,
            float threshold) {
        int n = s.kept().length;
        CompactMask[] pasted = masks == null ? new CompactMask[n]
                : conventions.maskerPaste()
                        ? paster.pasteMasker(masks.values(), masks.height(), masks.width(), s.pasteBoxes(),
                                g.originalHeight(), g.originalWidth(), threshold)
                        : paster.paste(masks.values(), masks.height(), masks.width(), s.pasteBoxes(),
                                g.originalHeight(), g.originalWidth(), threshold);
        List<Instance> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            int det = s.kept()[i], c = d.classes()[det];
            float[] b = s.boxes();
            out.add(new Instance(c, classNames.get(c), d.scores()[det], b[4 * i], b[4 * i + 1], b[4 * i + 2],
                    b[4 * i + 3], pasted[i]));
        }
        return out;
    }
}
