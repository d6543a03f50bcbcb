package dev.maskrt;

import dev.maskrt.error.PredictionFailedException;
import dev.maskrt.output.Instance;
import java.util.List;
import java.util.Optional;

/**
 * The outcome for one image of a batch: its instances, or the error that stopped it. Nothing is dropped silently:
 * {@link #instances()} of a failed image throws
 * {@link PredictionFailedException} with the image's error as its cause. Immutable.
 */
public final class Prediction {
    private final String name;
    private final int height, width;
    private final List<Instance> instances;
    private final RuntimeException error;

    private Prediction(String name, int height, int width, List<Instance> instances, RuntimeException error) {
        this.name = name;
        this.height = height;
        this.width = width;
        this.instances = instances;
        this.error = error;
    }

    static Prediction success(String name, int height, int width, List<Instance> instances) {
        return new Prediction(name, height, width, List.copyOf(instances), null);
    }

    static Prediction failure(String name, RuntimeException error) {
        return new Prediction(name, 0, 0, null, error);
    }

    /** @return the image's name ({@link ImageInput#name()}) */
    public String name() { return name; }

    /** @return true when the image was predicted, false when it failed ({@link #error()}) */
    public boolean isSuccess() { return error == null; }

    /** @return rows of the original image, pixels (0 for a failed image) */
    public int height() { return height; }

    /** @return columns of the original image, pixels (0 for a failed image) */
    public int width() { return width; }

    /**
     * The instances in descending score order: class, score, box and mask in original-image pixels.
     *
     * @return the instances (immutable; empty when nothing was found)
     * @throws PredictionFailedException when the image failed; its cause is the image's error (an {@link
     *     dev.maskrt.error.InputFormatException} naming it for a corrupt or unreadable image)
     */
    public List<Instance> instances() {
        if (error != null) throw new PredictionFailedException(name, error);
        return instances;
    }

    /** @return the error that stopped this image, if it failed (empty for a success) */
    public Optional<RuntimeException> error() { return Optional.ofNullable(error); }

    @Override
    public String toString() {
        return isSuccess() ? "Prediction[" + name + ": " + instances.size() + " instances]"
                : "Prediction[" + name + ": failed: " + error.getMessage() + "]";
    }
}
