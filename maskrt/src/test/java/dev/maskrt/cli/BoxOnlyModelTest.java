package dev.maskrt.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code maskrt predict} and {@code maskrt eval} with a box-only model (the tiny Faster R-CNN, detectron2
 * {@code MASK_ON} false): COCO results carry boxes and no segmentation, overlays draw the boxes, Kaggle formats are
 * refused before anything is written, and {@code eval --iou-type bbox} scores the results. The ground truth here is
 * real detectron2's detections on the same images ({@code src/test/resources/detectron2/tiny-faster-rcnn.json}), so
 * maskrt's results, matched one to one by {@code StandardHeadsDetectron2ParityTest}, must score AP 1.
 */
class BoxOnlyModelTest {
    static final String MODEL = "src/test/resources/models/tiny-faster-rcnn";
    static JsonNode golden;

    @BeforeAll
    static void readGolden() throws Exception {
        golden = new ObjectMapper().readTree(Path.of("src/test/resources/detectron2/tiny-faster-rcnn.json").toFile());
    }

    /** The golden's images copied as 000001.png ... (numeric names are the COCO image ids). */
    private static Path images(Path dir) throws Exception {
        Path images = Files.createDirectories(dir.resolve("images"));
        int i = 1;
        for (JsonNode image : golden.get("images")) {
            Files.copy(Path.of(image.get("file").asText()), images.resolve(String.format("%06d.png", i++)));
        }
        return images;
    }

    /** detectron2's detections as a COCO ground truth (boxes only), image ids 1..3, category ids class + 1. */
    private static Path groundTruth(Path dir) throws Exception {
        ObjectMapper json = new ObjectMapper();
        ObjectNode gt = json.createObjectNode();
        ArrayNode imgs = gt.putArray("images"), anns = gt.putArray("annotations"), cats = gt.putArray("categories");
        int id = 1, ann = 1;
        for (JsonNode image : golden.get("images")) {
            imgs.addObject().put("id", id).put("file_name", String.format("%06d.png", id))
                    .put("height", image.get("height").asInt()).put("width", image.get("width").asInt());
            for (JsonNode d : image.get("instances")) {
                JsonNode b = d.get("box");
                double w = b.get(2).asDouble() - b.get(0).asDouble(), h = b.get(3).asDouble() - b.get(1).asDouble();
                ObjectNode a = anns.addObject().put("id", ann++).put("image_id", id)
                        .put("category_id", d.get("class").asInt() + 1).put("area", w * h).put("iscrowd", 0);
                a.putArray("bbox").add(b.get(0).asDouble()).add(b.get(1).asDouble()).add(w).add(h);
            }
            id++;
        }
        String[] names = {"cell", "debris", "blob"};
        for (int c = 0; c < names.length; c++) cats.addObject().put("id", c + 1).put("name", names[c]);
        Path file = dir.resolve("gt.json");
        json.writeValue(file.toFile(), gt);
        return file;
    }

    @Test
    void writesBoxesAndOverlaysAndScoresThemWithBboxEval(@TempDir Path dir) throws Exception {
        Path images = images(dir), out = dir.resolve("out");
        MainTest.Run run = MainTest.run("predict", "--model", MODEL, "--images", images.toString(), "--out",
                out.toString(), "--format", "coco", "--overlays", "--threads", "2");
        assertEquals(0, run.status(), run.err());
        int expected = 0;
        for (JsonNode image : golden.get("images")) expected += image.get("instances").size();
        JsonNode results = new ObjectMapper().readTree(out.resolve("coco_results.json").toFile());
        assertEquals(expected, results.size());
        for (JsonNode r : results) {
            assertFalse(r.has("segmentation"), r.toString());
            assertEquals(4, r.get("bbox").size());
        }
        for (int i = 1; i <= 3; i++) {
            Path overlay = out.resolve("overlays").resolve(String.format("%06d.png", i));
            assertTrue(Files.size(overlay) > 0);
            assertFalse(java.util.Arrays.equals(Files.readAllBytes(overlay),
                    Files.readAllBytes(images.resolve(String.format("%06d.png", i)))));
        }

        Path gt = groundTruth(dir);
        MainTest.Run bbox = MainTest.run("eval", "--gt", gt.toString(), "--results",
                out.resolve("coco_results.json").toString(), "--iou-type", "bbox", "--json");
        assertEquals(0, bbox.status(), bbox.err());
        JsonNode stats = new ObjectMapper().readTree(bbox.out());
        assertEquals(1.0, stats.get("AP").asDouble(), 1e-9, bbox.out());
        assertEquals(1.0, stats.get("AP75").asDouble(), 1e-9, bbox.out());

        MainTest.Run segm = MainTest.run("eval", "--gt", gt.toString(), "--results",
                out.resolve("coco_results.json").toString(), "--iou-type", "segm");
        assertEquals(2, segm.status(), segm.out() + segm.err());
        assertTrue(segm.err().contains("segmentation"), segm.err());
    }

    @Test
    void refusesKaggleFormatsBeforeWritingAnything(@TempDir Path dir) throws Exception {
        Path images = images(dir), out = dir.resolve("out");
        MainTest.Run run = MainTest.run("predict", "--model", MODEL, "--images", images.toString(), "--out",
                out.toString(), "--format", "coco,sartorius");
        assertEquals(2, run.status(), run.err());
        assertTrue(run.err().contains("--format sartorius: the model " + MODEL + " has no mask head"), run.err());
        assertFalse(Files.exists(out.resolve("predict-journal.jsonl")));
        assertFalse(Files.exists(out.resolve("coco_results.json")));
    }
}
