package example;

import dev.maskrt.ImageInput;
import dev.maskrt.Prediction;
import dev.maskrt.Predictor;
import dev.maskrt.PredictorOptions;
import dev.maskrt.error.MaskrtException;
import dev.maskrt.output.CocoRle;
import dev.maskrt.output.Instance;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Segments images with a model package: {@code SegmentImages MODEL_DIR IMAGE...}. Prints one line per image (or
 * the reason it failed) and fails when an image that should be readable gives no instance or when a file that is
 * not an image is not reported as a {@link MaskrtException}.
 */
public final class SegmentImages {
    public static void main(String[] args) {
        if (args.length < 2) throw new IllegalArgumentException("usage: SegmentImages MODEL_DIR IMAGE...");
        List<ImageInput> inputs = new ArrayList<>();
        for (int i = 1; i < args.length; i++) inputs.add(ImageInput.of(Path.of(args[i])));
        PredictorOptions options = PredictorOptions.builder().threads(2).build();
        int failures = 0;
        try (Predictor predictor = Predictor.open(Path.of(args[0]), options)) {
            for (Prediction p : predictor.predictAll(inputs)) {
                try {
                    List<Instance> instances = p.instances();
                    long pixels = 0;
                    for (Instance i : instances) pixels += CocoRle.encode(i.mask()).area();
                    System.out.printf("%s: %d instances, %d mask pixels%n", p.name(), instances.size(), pixels);
                    if (instances.isEmpty()) throw new IllegalStateException(p.name() + ": no instance found");
                } catch (MaskrtException e) { // one base type for every maskrt failure
                    System.out.println("failed, as it should for a non-image: " + e.getMessage());
                    failures++;
                }
            }
        }
        if (failures != 1) throw new IllegalStateException("expected exactly one failed input, got " + failures);
    }

    private SegmentImages() {}
}
