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
 * the original image, clip, drop empty boxes, and paste each mask into its box as a {@link CompactMask}.
 * Thread-safe.
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

    /** Indices of the detections kept, and their boxes in original-image pixels. */
    record Scaled(int[] kept, float[] boxes) {}

    Scaled scale(Detections d, ImageGeometry g) {
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
                        ? paster.pasteMasker(masks.values(), masks.height(), masks.width(), s.boxes(),
                                g.originalHeight(), g.originalWidth(), threshold)
                        : paster.paste(masks.values(), masks.height(), masks.width(), s.boxes(), g.originalHeight(),
                                g.originalWidth(), threshold);
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
