package dev.maskrt.cascade;

import dev.maskrt.config.StageTimer;

import dev.maskrt.config.DetectionSettings;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.maskrt.image.ImageDecoder;
import dev.maskrt.image.PreprocessedBatch;
import dev.maskrt.image.Preprocessor;
import dev.maskrt.image.ResizeShortestEdge;
import dev.maskrt.model.InputSettings;
import dev.maskrt.model.ModelPackage;
import dev.maskrt.ops.cpu.CpuOps;
import dev.maskrt.util.Workers;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * The acceptance test of the pipeline: on the tiny package, Java reproduces the PyTorch reference on every
 * reference image ({@link ParityCheck}: detections matched one-to-one, intermediates within float tolerance).
 */
class CascadeParityTest {

    @TestFactory
    List<DynamicTest> javaMatchesTheReferenceOnEveryImage() {
        return parityTests(TinyReference.PACKAGE, TinyReference.images(), true);
    }

    /**
     * One test per reference image: pre-process, run the pipeline on 2 threads, compare the detections and, with
     * {@code intermediates}, the proposals and stage outputs the reference stores.
     */
    static List<DynamicTest> parityTests(Path packageDir, List<TinyReference.Image> refs, boolean intermediates) {
        return refs.stream().map(ref -> DynamicTest.dynamicTest(ref.file().getFileName().toString(), () -> {
            try (ModelPackage model = ModelPackage.load(packageDir); Workers workers = new Workers(2)) {
                CascadePipeline pipeline = new CascadePipeline(model, CpuOps.create(workers));
                assertParity(pipeline, ref, intermediates, workers);
            }
        })).toList();
    }

    /** Pre-processes {@code ref}'s image, runs {@code pipeline} on it and compares with the reference. */
    static ImageResult assertParity(CascadePipeline pipeline, TinyReference.Image ref, boolean intermediates,
            Workers workers) {
        ImageResult r = run(pipeline, ref, workers);
        if (intermediates && ref.has("proposals")) ParityCheck.assertIntermediates(ref, r);
        ParityCheck.assertMatches(ref, r.instances(), pipeline.manifest().roiHeads().scoreThreshold());
        return r;
    }

    /** Pre-processes {@code ref}'s image (checking the resized size) and runs {@code pipeline} on it. */
    static ImageResult run(CascadePipeline pipeline, TinyReference.Image ref, Workers workers) {
        InputSettings in = pipeline.manifest().input();
        Preprocessor preprocessor = new Preprocessor(in.format(), in.pixelMean(), in.pixelStd(),
                new ResizeShortestEdge(in.minSizeTest(), in.maxSizeTest()), in.sizeDivisibility(), workers);
        PreprocessedBatch batch = preprocessor.preprocess(new ImageDecoder(in.format()).decode(ref.file()));
        assertArrayEquals(ref.get("input_size").asInts(),
                new int[] {batch.image(0).resizedHeight(), batch.image(0).resizedWidth()}, "resized size");
        return pipeline.run(batch, pipeline.manifest().roiHeads().detectionSettings(), StageTimer.NONE).get(0);
    }
}
