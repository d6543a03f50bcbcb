package dev.maskrt.cli;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.maskrt.output.CocoRle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code maskrt eval} on COCO files: the shared coco-small set prepared as its README says, and bad files. */
class CocoEvalCliTest {
    static final ObjectMapper JSON = new ObjectMapper();

    static Path cocoSmall() {
        Path dir = Path.of(System.getProperty("maskrt.sharedData", "../../shared/data"), "coco-small");
        Assumptions.assumeTrue(Files.isDirectory(dir), "shared data not present: " + dir);
        return dir;
    }

    /**
     * The README's preparation: each detection's polygons merged into one RLE at its image's size, bbox dropped.
     */
    static Path rleResults(Path gtJson, Path dtJson, Path out) throws Exception {
        Map<Integer, int[]> sizes = new HashMap<>();
        for (JsonNode img : JSON.readTree(gtJson.toFile()).get("images")) {
            sizes.put(img.get("id").asInt(), new int[] {img.get("height").asInt(), img.get("width").asInt()});
        }
        ArrayNode results = JSON.createArrayNode();
        for (JsonNode det : JSON.readTree(dtJson.toFile())) {
            int[] hw = sizes.get(det.get("image_id").asInt());
            List<double[]> polygons = new ArrayList<>();
            for (JsonNode poly : det.get("segmentation")) {
                double[] xy = new double[poly.size()];
                for (int i = 0; i < xy.length; i++) xy[i] = poly.get(i).asDouble();
                polygons.add(xy);
            }
            CocoRle rle = CocoRle.fromPolygons(polygons, hw[0], hw[1]);
            ObjectNode r = results.addObject();
            r.put("image_id", det.get("image_id").asInt());
            r.put("category_id", det.get("category_id").asInt());
            r.put("score", det.get("score").asDouble());
            ObjectNode seg = r.putObject("segmentation");
            seg.putArray("size").add(hw[0]).add(hw[1]);
            seg.put("counts", rle.toCompressedString());
        }
        JSON.writeValue(out.toFile(), results);
        return out;
    }

    @Test
    void segmJsonHasTheTwelveNamedStats(@TempDir Path tmp) throws Exception {
        Path dir = cocoSmall(), gt = dir.resolve("gt_dataset.json");
        Path res = rleResults(gt, dir.resolve("dt_dataset.json"), tmp.resolve("res.json"));
        MainTest.Run run = MainTest.run("eval", "--gt", gt.toString(), "--results", res.toString(), "--iou-type", "segm",
                "--json", "--per-category");
        assertEquals(0, run.status(), run.err());
        JsonNode o = JSON.readTree(run.out());
        double[] expected = {0.6947194719471946, 0.6947194719471946, 0.6947194719471946, -1.0, 0.7367986798679867, 0.0,
            0.6666666666666666, 0.75, 0.75, -1.0, 0.7916666666666666, 0.0};
        List<String> keys = new ArrayList<>();
        o.fieldNames().forEachRemaining(keys::add);
        assertEquals(List.of("AP", "AP50", "AP75", "APs", "APm", "APl", "AR1", "AR10", "AR100", "ARs", "ARm", "ARl",
                "per_category"), keys);
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], o.get(CocoReport.KEYS.get(i)).asDouble(), 1e-10, CocoReport.KEYS.get(i));
        }
        assertTrue(o.get("per_category").size() >= 1);
        assertEquals(1, run.out().strip().lines().count());

        MainTest.Run text = MainTest.run("eval", "--gt", gt.toString(), "--results", res.toString(), "--iou-type", "segm");
        assertEquals(0, text.status(), text.err());
        List<String> lines = text.out().lines().filter(l -> !l.isBlank()).toList();
        assertEquals(12, lines.size(), text.out());
        assertTrue(lines.get(0).startsWith(" Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ] = 0.69"),
                lines.get(0));
    }

    @Test
    void badResultsGiveOneLineErrors(@TempDir Path tmp) throws Exception {
        Path gt = cocoSmall().resolve("gt_dataset.json");
        Path broken = tmp.resolve("broken.json");
        Files.writeString(broken, "[{\"image_id\": 1, \"category_id\": 1, ");
        assertOneLineError(MainTest.run("eval", "--gt", gt.toString(), "--results", broken.toString(),
                "--iou-type", "bbox"), broken.toString());

        Path unknownImage = tmp.resolve("unknown_image.json");
        Files.writeString(unknownImage, "[{\"image_id\": 999, \"category_id\": 1, \"bbox\": [1, 2, 3, 4], \"score\": 0.5}]");
        assertOneLineError(MainTest.run("eval", "--gt", gt.toString(), "--results", unknownImage.toString(),
                "--iou-type", "bbox"), unknownImage.toString());

        Path noScore = tmp.resolve("no_score.json");
        Files.writeString(noScore, "[{\"image_id\": 1, \"category_id\": 1, \"bbox\": [1, 2, 3, 4]}]");
        MainTest.Run missing = MainTest.run("eval", "--gt", gt.toString(), "--results", noScore.toString(),
                "--iou-type", "bbox");
        assertOneLineError(missing, noScore.toString());
        assertTrue(missing.err().contains("score"), missing.err());

        MainTest.Run noType = MainTest.run("eval", "--gt", gt.toString(), "--results", broken.toString());
        assertEquals(2, noType.status());
        assertTrue(noType.err().contains("--iou-type"), noType.err());
        MainTest.Run badDets = MainTest.run("eval", "--gt", gt.toString(), "--results", broken.toString(),
                "--iou-type", "bbox", "--max-dets", "1,10");
        assertEquals(2, badDets.status());
    }

    private static void assertOneLineError(MainTest.Run run, String file) {
        assertEquals(2, run.status(), run.err());
        assertTrue(run.err().startsWith("maskrt: error: " + file + ": "), run.err());
        assertEquals(1, run.err().strip().lines().count(), run.err());
        assertEquals("", run.out());
    }
}
