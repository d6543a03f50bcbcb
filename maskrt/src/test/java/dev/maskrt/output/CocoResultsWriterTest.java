package dev.maskrt.output;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.maskrt.eval.CocoEvaluation;
import dev.maskrt.eval.CocoGroundTruth;
import dev.maskrt.eval.CocoParams;
import dev.maskrt.eval.CocoSummary;
import dev.maskrt.eval.IouType;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CocoResultsWriterTest {
    @TempDir Path tmp;

    /**
     * coco-small detections as a pipeline would emit them (class index, float box, compact mask), written with
     * the writer and evaluated: the area-independent stats equal the README's pycocotools numbers (the writer adds
     * boxes, so loadRes takes areas from the boxes and only the area-range stats may differ).
     */
    @Test
    void roundTripsThroughCocoEvaluation() throws IOException {
        Path gtFile = Path.of(System.getProperty("maskrt.sharedData", "../../shared/data"), "coco-small/gt_dataset.json");
        CocoGroundTruth gt = CocoGroundTruth.load(gtFile);
        JsonNode dets = new ObjectMapper().readTree(gtFile.resolveSibling("dt_dataset.json").toFile());
        // model classes in a different order from the dataset ids, mapped by name
        List<String> classes = List.of("star", "arrow", "heart", "cloud");
        int[] ids = CocoResultsWriter.categoryIdsByName(classes, gt.categoryIdsByName());
        assertArrayEquals(new int[] {4, 3, 2, 1}, ids);
        Map<Long, List<Instance>> byImage = new LinkedHashMap<>();
        for (JsonNode d : dets) {
            CocoGroundTruth.Image img = gt.imageById(d.get("image_id").asLong());
            List<double[]> polys = new ArrayList<>();
            for (JsonNode poly : d.get("segmentation")) {
                double[] xy = new double[poly.size()];
                for (int i = 0; i < xy.length; i++) xy[i] = poly.get(i).asDouble();
                polys.add(xy);
            }
            CompactMask mask = CocoRle.fromPolygons(polys, img.height(), img.width()).toCompactMask();
            int cls = 4 - d.get("category_id").asInt();
            long imageId = gt.imageIdsByFileName().get(img.fileName());
            byImage.computeIfAbsent(imageId, k -> new ArrayList<>()).add(new Instance(cls, classes.get(cls),
                    (float) d.get("score").asDouble(), mask.x(), mask.y(), mask.x() + mask.width(),
                    mask.y() + mask.height(), mask));
        }
        Path out = tmp.resolve("results.json");
        try (CocoResultsWriter w = CocoResultsWriter.open(out, ids)) {
            for (var e : byImage.entrySet()) w.write(e.getKey(), e.getValue());
            assertEquals(9, w.count());
        }
        CocoSummary s = CocoEvaluation.evaluate(gtFile, out, IouType.SEGM, CocoParams.DEFAULT_MAX_DETS);
        double ap = 0.6947194719471946;
        for (int i : new int[] {0, 1, 2}) assertEquals(ap, s.stats()[i], 1e-10);
        assertEquals(0.6666666666666666, s.stats()[6], 1e-10);
        assertEquals(0.75, s.stats()[8], 1e-10);
        JsonNode written = new ObjectMapper().readTree(out.toFile());
        JsonNode first = written.get(0);
        assertEquals(4, first.get("bbox").size());
        assertEquals(256, first.get("segmentation").get("size").get(0).asInt());
        assertTrue(first.get("segmentation").get("counts").isTextual());
    }

    @Test
    void badArgumentsAreNamed() throws IOException {
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> CocoResultsWriter.categoryIdsByName(List.of("cat", "dog"), Map.of("cat", 17)))
                .getMessage().startsWith("classNames[1]"));
        assertEquals(397133, CocoResultsWriter.imageIdFromFileName("val2017/000000397133.jpg"));
        assertThrows(IllegalArgumentException.class, () -> CocoResultsWriter.imageIdFromFileName("cells_a.png"));
        try (CocoResultsWriter w = CocoResultsWriter.open(tmp.resolve("r.json"), new int[] {1})) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> w.write(1,
                    List.of(new Instance(3, "c3", 0.5f, 0, 0, 1, 1, null))));
            assertTrue(e.getMessage().startsWith("detections[0].classIndex"), e.getMessage());
            w.write(1, List.of());
        }
        assertEquals(0, new ObjectMapper().readTree(tmp.resolve("r.json").toFile()).size());
    }

    @Test
    void boxOnlyInstancesHaveNoSegmentation() throws IOException {
        Path out = tmp.resolve("boxes.json");
        try (CocoResultsWriter w = CocoResultsWriter.open(out, new int[] {7})) {
            w.write(42, List.of(new Instance(0, "cell", 0.75f, 1.5f, 2f, 11.5f, 4f, null)));
        }
        JsonNode r = new ObjectMapper().readTree(out.toFile()).get(0);
        assertEquals(42, r.get("image_id").asLong());
        assertEquals(7, r.get("category_id").asInt());
        assertEquals("[1.5,2.0,10.0,2.0]", r.get("bbox").toString());
        assertEquals(0.75, r.get("score").asDouble());
        assertFalse(r.has("segmentation"), r.toString());
    }
}
