package dev.maskrt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.maskrt.cascade.ParityCheck;
import dev.maskrt.cascade.TinyReference;
import dev.maskrt.error.InputFormatException;
import dev.maskrt.model.ModelPackage;
import dev.maskrt.output.Instance;
import dev.maskrt.selfcheck.DetectionParity;
import dev.maskrt.selfcheck.ParityCriteria;
import dev.maskrt.selfcheck.ParityReport;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code PredictorOptions.winograd}: the tiny package with the Winograd forms of its backbone and mask head
 * ({@code tools/reference/make_tiny_winograd.py}: every stride-1 3x3 convolution rewritten, maps that are and are not
 * a multiple of the 4x4 tile, the mask head's batch of RoIs) against the tiny reference, the torch pipeline's output
 * for the fp32 weights.
 */
class PredictorWinogradTest {
    static final Path TINY_WINOGRAD = Path.of("src/test/resources/models/tiny-winograd");

    @TempDir
    Path tmp;

    @Test
    void winogradGraphsMatchTheReferenceAndAreTheOnesThatRun() {
        List<TinyReference.Image> refs = TinyReference.images();
        List<List<Instance>> winograd = predictAll(PredictorOptions.builder().threads(2).build(), refs);
        List<List<Instance>> direct = predictAll(PredictorOptions.builder().threads(2).winograd(false).build(), refs);
        float threshold = 0.05f;
        boolean differs = false;
        for (int i = 0; i < refs.size(); i++) {
            ParityCheck.assertMatches(refs.get(i), winograd.get(i), threshold);
            ParityCheck.assertMatches(refs.get(i), direct.get(i), threshold);
            differs |= !scores(winograd.get(i)).equals(scores(direct.get(i)));
        }
        // float32 rounding of the transforms moves some scores in their last bits: the Winograd graphs did run
        assertTrue(differs, "winograd and direct graphs gave bit-identical scores: was the winograd_file opened?");
    }

    /**
     * Batches of 3 through the backbone, and test-time augmentation (a copy of the package with {@code test_aug}
     * short sides 288 and 448, max 800, flip: maps of other sizes than the test size, some not a multiple of the
     * tile): the Winograd graphs against the direct graphs, detection for detection at the FP32 criteria (those
     * within the score criterion of the threshold left out on both sides, as ParityCheck does). Measured: every
     * detection matched, worst box IoU 0.99977, score difference 3.0e-5, mask IoU 0.99936 (1–2 pixels of 4 masks of
     * 1,551–90,171 pixels differ). With detectron2's default 18 TTA sizes one small mask of the Sartorius image came
     * out at IoU 0.95 (probabilities averaged at the threshold): float noise, so the test keeps to two sizes.
     */
    @Test
    void batchesAndTestTimeAugmentationMatchTheDirectGraphs() throws IOException {
        Path pkg = copyOfPackage(TINY_WINOGRAD, null);
        ObjectMapper json = new ObjectMapper();
        ObjectNode manifest = (ObjectNode) json.readTree(pkg.resolve("manifest.json").toFile());
        ObjectNode aug = manifest.putObject("test_aug");
        aug.put("enabled", true);
        aug.putArray("min_sizes").add(288).add(448);
        aug.put("max_size", 800);
        aug.put("flip", true);
        json.writeValue(pkg.resolve("manifest.json").toFile(), manifest);
        List<ImageInput> images = new ArrayList<>();
        for (TinyReference.Image ref : TinyReference.images()) images.add(ImageInput.of(ref.file()));
        for (boolean tta : new boolean[] {false, true}) {
            PredictorOptions.Builder b = PredictorOptions.builder().threads(2).batchSize(3).tta(tta);
            List<Prediction> winograd, direct;
            try (Predictor p = Predictor.open(pkg, b.build())) {
                winograd = p.predictAll(images);
            }
            try (Predictor p = Predictor.open(pkg, b.winograd(false).build())) {
                direct = p.predictAll(images);
            }
            for (int i = 0; i < images.size(); i++) {
                List<Instance> d = awayFromThreshold(direct.get(i).instances());
                ParityReport report = DetectionParity.compare(d, awayFromThreshold(winograd.get(i).instances()),
                        ParityCriteria.FP32);
                String what = "tta " + tta + ", image " + i + ": " + report;
                assertTrue(report.passes(), what);
                assertEquals(d.size(), report.matched(), what);
                assertTrue(report.matched() > 0, what);
            }
        }
    }

    private static List<Instance> awayFromThreshold(List<Instance> instances) {
        List<Instance> out = new ArrayList<>();
        for (Instance i : instances) {
            if (Math.abs(i.score() - 0.05f) > ParityCriteria.FP32.maxScoreDiff()) out.add(i);
        }
        return out;
    }

    @Test
    void theDirectGraphsAreTheDefaultOnlyWhereThePackageHasNoWinogradForm() {
        assertTrue(PredictorOptions.defaults().winograd());
        assertEquals("backbone.winograd.onnx",
                ModelPackage.readManifest(TINY_WINOGRAD).backbone().winogradFile());
        assertNull(ModelPackage.readManifest(TinyReference.PACKAGE).backbone().winogradFile());
    }

    @Test
    void aMissingWinogradFileIsRefusedNamingTheField() throws IOException {
        Path pkg = copyOfPackage(TINY_WINOGRAD, "mask_head.winograd.onnx");
        InputFormatException e = assertThrows(InputFormatException.class, () -> ModelPackage.readManifest(pkg));
        assertTrue(e.getMessage().contains("graphs.mask_head.winograd_file"), e.getMessage());
        assertTrue(e.getMessage().contains("mask_head.winograd.onnx"), e.getMessage());

        ObjectMapper json = new ObjectMapper();
        ObjectNode manifest = (ObjectNode) json.readTree(pkg.resolve("manifest.json").toFile());
        ((ObjectNode) manifest.get("graphs").get("mask_head")).put("winograd_file", 7);
        json.writeValue(pkg.resolve("manifest.json").toFile(), manifest);
        InputFormatException notText = assertThrows(InputFormatException.class, () -> ModelPackage.readManifest(pkg));
        assertTrue(notText.getMessage().contains("graphs.mask_head.winograd_file"), notText.getMessage());
        assertFalse(notText.getMessage().contains("not found"), notText.getMessage());
    }

    private Path copyOfPackage(Path from, String leaveOut) throws IOException {
        Path pkg = tmp.resolve("pkg" + System.nanoTime());
        Files.createDirectories(pkg);
        try (var files = Files.list(from)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                if (!f.getFileName().toString().equals(leaveOut)) Files.copy(f, pkg.resolve(f.getFileName()));
            }
        }
        return pkg;
    }

    private static List<List<Instance>> predictAll(PredictorOptions options, List<TinyReference.Image> refs) {
        List<List<Instance>> out = new ArrayList<>();
        try (Predictor p = Predictor.open(TINY_WINOGRAD, options)) {
            for (TinyReference.Image ref : refs) out.add(p.predict(ref.file()));
        }
        return out;
    }

    private static List<Float> scores(List<Instance> instances) {
        List<Float> s = new ArrayList<>();
        for (Instance i : instances) s.add(i.score());
        return s;
    }
}
