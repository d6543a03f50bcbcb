package dev.maskrt.cascade;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.maskrt.image.ImageDecoder;
import dev.maskrt.image.PreprocessedBatch;
import dev.maskrt.image.Preprocessor;
import dev.maskrt.image.ResizeShortestEdge;
import dev.maskrt.model.InputSettings;
import dev.maskrt.model.ModelPackage;
import dev.maskrt.ops.cpu.Workers;
import dev.maskrt.output.CompactMask;
import dev.maskrt.output.Instance;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * The acceptance test of the pipeline: on the tiny package, Java reproduces the PyTorch reference on every
 * reference image. Every detection is matched one-to-one (same class, box IoU >= 0.99, |score difference| <= 1e-3,
 * mask IoU >= 0.98); the only detections allowed to go unmatched are those within 1e-3 of the score threshold.
 * Intermediates (proposals, each stage's boxes and probabilities, the final boxes in resized pixels, mask
 * probabilities) are compared too, so a failure says which stage went wrong.
 */
class CascadeParityTest {
    static final double BOX_IOU = 0.99, SCORE_DIFF = 1e-3, MASK_IOU = 0.98;

    static ModelPackage model;
    static Workers workers;
    static CascadePipeline pipeline;
    static Preprocessor preprocessor;
    static ImageDecoder decoder;

    @BeforeAll
    static void load() {
        model = ModelPackage.load(TinyReference.PACKAGE);
        workers = new Workers(2);
        pipeline = new CascadePipeline(model, CascadeOps.cpu(workers));
        InputSettings in = model.manifest().input();
        preprocessor = new Preprocessor(in.format(), in.pixelMean(), in.pixelStd(),
                new ResizeShortestEdge(in.minSizeTest(), in.maxSizeTest()), in.sizeDivisibility(), workers);
        decoder = new ImageDecoder(in.format());
    }

    @AfterAll
    static void close() {
        model.close();
        workers.close();
    }

    @TestFactory
    List<DynamicTest> javaMatchesTheReferenceOnEveryImage() {
        return TinyReference.images().stream()
                .map(ref -> DynamicTest.dynamicTest(ref.file().getFileName().toString(), () -> check(ref)))
                .toList();
    }

    private static void check(TinyReference.Image ref) {
        PreprocessedBatch batch = preprocessor.preprocess(decoder.decode(ref.file()));
        assertArrayEquals(ref.get("input_size").asInts(),
                new int[] {batch.image(0).resizedHeight(), batch.image(0).resizedWidth()}, "resized size");
        ImageResult r = pipeline.run(batch, CascadeSettings.of(model.manifest().roiHeads()), StageTimer.NONE).get(0);
        if (ref.has("proposals")) checkIntermediates(ref, r);
        ParityCheck.assertMatches(ref, r.instances(), model.manifest().roiHeads().scoreThresh());
    }

    /**
     * Proposals and stage outputs: same count, and row by row within float tolerance. ONNX Runtime's logits differ
     * from torch's in the last bits, so proposals whose logits differ by ~1e-5 may come out in swapped order: each
     * reference row is matched to a Java row a few places away at most, with the same box and logit.
     */
    private static void checkIntermediates(TinyReference.Image ref, ImageResult r) {
        float[] refBoxes = ref.get("proposals").asFloats(), refLogits = ref.get("proposal_logits").asFloats();
        int p = refLogits.length;
        assertEquals(p, r.proposals().count(), "proposal count");
        int[] javaRow = matchProposals(refBoxes, refLogits, r.proposals().boxes(), r.proposals().logits());
        float[] stageBoxes = ref.get("stage_boxes").asFloats(), stageProbs = ref.get("stage_probs").asFloats();
        int cols = stageProbs.length / (r.stages().stageProbs().size() * p);
        for (int k = 0; k < r.stages().stageBoxes().size(); k++) {
            assertClose("stage " + k + " boxes", java.util.Arrays.copyOfRange(stageBoxes, k * 4 * p, (k + 1) * 4 * p),
                    permute(r.stages().stageBoxes().get(k), javaRow, 4), 1e-3, 1e-5);
            assertClose("stage " + k + " probabilities", java.util.Arrays.copyOfRange(stageProbs, k * cols * p,
                    (k + 1) * cols * p), permute(r.stages().stageProbs().get(k), javaRow, cols), 1e-5, 1e-4);
        }
        float[] refDetections = ref.get("detections_resized").asFloats();
        if (refDetections.length == r.detections().boxes().length) {
            assertClose("final boxes (resized pixels)", refDetections, r.detections().boxes(), 1e-3, 1e-5);
        }
    }

    private static final int SWAP_WINDOW = 8;

    private static int[] matchProposals(float[] refBoxes, float[] refLogits, float[] boxes, float[] logits) {
        int p = refLogits.length;
        int[] row = new int[p];
        boolean[] used = new boolean[p];
        for (int i = 0; i < p; i++) {
            row[i] = -1;
            for (int j = Math.max(0, i - SWAP_WINDOW); j < Math.min(p, i + SWAP_WINDOW + 1) && row[i] < 0; j++) {
                if (used[j] || Math.abs(refLogits[i] - logits[j]) > 1e-4 + 1e-5 * Math.abs(refLogits[i])) continue;
                boolean same = true;
                for (int c = 0; c < 4; c++) {
                    same &= Math.abs(refBoxes[4 * i + c] - boxes[4 * j + c]) <= 1e-3 + 1e-5 * Math.abs(refBoxes[4 * i + c]);
                }
                if (same) {
                    row[i] = j;
                    used[j] = true;
                }
            }
            if (row[i] < 0) {
                fail("proposal " + i + " (logit " + refLogits[i] + ", box " + refBoxes[4 * i] + ", " + refBoxes[4 * i + 1]
                        + ", " + refBoxes[4 * i + 2] + ", " + refBoxes[4 * i + 3] + ") has no Java counterpart near it");
            }
        }
        return row;
    }

    /** Rows of {@code width} values taken in the order {@code rows}. */
    private static float[] permute(float[] values, int[] rows, int width) {
        float[] out = new float[rows.length * width];
        for (int i = 0; i < rows.length; i++) System.arraycopy(values, rows[i] * width, out, i * width, width);
        return out;
    }

    /** |a - b| <= abs + rel * |a| for every element. */
    private static void assertClose(String what, float[] expected, float[] actual, double abs, double rel) {
        assertEquals(expected.length, actual.length, what + ": length");
        double worst = 0;
        int worstAt = -1;
        for (int i = 0; i < expected.length; i++) {
            double excess = Math.abs(expected[i] - actual[i]) - (abs + rel * Math.abs(expected[i]));
            if (!(excess <= worst)) {
                worst = Double.isNaN(excess) ? Double.POSITIVE_INFINITY : excess;
                worstAt = i;
            }
        }
        if (worstAt >= 0) {
            fail(what + ": element " + worstAt + " expected " + expected[worstAt] + " got " + actual[worstAt]);
        }
    }

}
