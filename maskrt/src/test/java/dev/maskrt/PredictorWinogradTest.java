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

    @Test
    void theDirectGraphsAreTheDefaultOnlyWhereThePackageHasNoWinogradForm() {
        assertTrue(PredictorOptions.defaults().winograd());
        assertEquals("backbone.winograd.onnx",
                ModelPackage.readManifest(TINY_WINOGRAD).backbone().winogradFile());
        assertNull(ModelPackage.readManifest(TinyReference.PACKAGE).backbone().winogradFile());
    }

    @Test
    void aMissingWinogradFileIsRefusedNamingTheField() throws IOException {
        Path pkg = tmp.resolve("pkg");
        Files.createDirectories(pkg);
        try (var files = Files.list(TINY_WINOGRAD)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                if (!f.getFileName().toString().equals("mask_head.winograd.onnx")) Files.copy(f, pkg.resolve(f.getFileName()));
            }
        }
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
