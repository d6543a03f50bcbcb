package dev.maskrt.cascade;

import dev.maskrt.config.DetectionSettings;
import dev.maskrt.config.StageTimer;
import dev.maskrt.image.Augmentation;
import dev.maskrt.image.DecodedImage;
import java.util.List;

/**
 * A trainer's test-time augmentation of one image: detectron2's ({@link TestTimeAugmentation}) or mmdetection's
 * ({@link MmdetectionTestTimeAugmentation}). Implementations are thread-safe.
 */
public interface AugmentedInference {
    /** The augmented images made of each input, in the trainer's order. */
    List<Augmentation> augmentations();

    /**
     * Runs the augmentation on one decoded image.
     *
     * @param settings the model's (or the user's) score threshold, NMS threshold, detection cap and mask threshold
     * @param timer receives each stage's time
     */
    TtaResult run(DecodedImage image, DetectionSettings settings, StageTimer timer);
}
