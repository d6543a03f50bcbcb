package dev.maskrt.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.maskrt.output.CocoRle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code maskrt predict --format coco} on a maskrcnn-benchmark model writes, besides {@code coco_results.json},
 * {@code bbox.json} and {@code segm.json} as maskrcnn-benchmark's {@code coco_eval.py} writes them
 * ({@code prepare_for_coco_detection} / {@code prepare_for_coco_segmentation}: the same fields in the same order,
 * boxes {@code [x0, y0, x1 - x0 + 1, y1 - y0 + 1]}, images in input order, instances in its order). Compared with the
 * files the torch reference wrote ({@code tools/reference/maskrcnn_benchmark_run.py --coco-dir}, image ids 1..N in
 * input order, category id = label): records one to one, ids equal, numbers within ONNX Runtime's float distance of
 * torch's, masks IoU >= 0.98.
 */
class MaskrcnnBenchmarkCocoOutputTest {
    private static final List<String> IMAGES = List.of("src/test/resources/image/sartorius-0030fd0e6378.png",
            "src/test/resources/image/livecell-A172_Phase_A7_1_00d00h00m_1.tif",
            "../samples/dsb2018-val/images/003cee89357d9fe13516167fd67b609a164651b21934585648c740d2c3d86dc1.png",
            "../samples/dsb2018-val/images/00ae65c1c6631ae6f2be1a449902976e6eb8483bf6b0740d00530220832c6d3e.png");

    @ParameterizedTest
    @ValueSource(strings = {"tiny-mb-mask-rcnn", "tiny-mb-faster-rcnn"})
    void writesBboxAndSegmJsonAsCocoEvalDoes(String model, @TempDir Path dir) throws Exception {
        Path out = dir.resolve("out");
        List<String> args = new ArrayList<>(List.of("predict", "--model", "src/test/resources/models/" + model,
                "--out", out.toString(), "--format", "coco", "--threads", "2", "--images"));
        args.addAll(IMAGES);
        MainTest.Run run = MainTest.run(args.toArray(String[]::new));
        assertEquals(0, run.status(), run.err());
        Path golden = Path.of("src/test/resources/maskrcnn_benchmark", model + "-coco");
        ObjectMapper json = new ObjectMapper();
        JsonNode bbox = json.readTree(out.resolve("bbox.json").toFile());
        JsonNode expectedBbox = json.readTree(golden.resolve("bbox.json").toFile());
        assertEquals(expectedBbox.size(), bbox.size());
        JsonNode combined = json.readTree(out.resolve("coco_results.json").toFile());
        assertEquals(bbox.size(), combined.size());
        for (int i = 0; i < bbox.size(); i++) {
            JsonNode e = expectedBbox.get(i), g = bbox.get(i);
            assertEquals(fields(e), fields(g), "bbox record " + i);
            assertEquals(e.get("image_id").asLong(), g.get("image_id").asLong(), "bbox record " + i);
            assertEquals(e.get("category_id").asInt(), g.get("category_id").asInt(), "bbox record " + i);
            assertEquals(e.get("score").asDouble(), g.get("score").asDouble(), 1e-3, "bbox record " + i);
            for (int k = 0; k < 4; k++) {
                assertEquals(e.get("bbox").get(k).asDouble(), g.get("bbox").get(k).asDouble(), 0.05,
                        "bbox record " + i + " coordinate " + k);
            }
            assertEquals(g.get("bbox"), combined.get(i).get("bbox"), "coco_results.json holds the same boxes");
        }
        Path segmFile = out.resolve("segm.json");
        if (!model.contains("mask")) {
            assertFalse(Files.exists(segmFile), "a box-only model writes no segm.json");
            return;
        }
        JsonNode segm = json.readTree(segmFile.toFile());
        JsonNode expectedSegm = json.readTree(golden.resolve("segm.json").toFile());
        assertEquals(expectedSegm.size(), segm.size());
        for (int i = 0; i < segm.size(); i++) {
            JsonNode e = expectedSegm.get(i), g = segm.get(i);
            assertEquals(fields(e), fields(g), "segm record " + i);
            assertEquals(List.of("size", "counts"), fields(g.get("segmentation")));
            assertEquals(e.get("image_id").asLong(), g.get("image_id").asLong());
            assertEquals(e.get("category_id").asInt(), g.get("category_id").asInt());
            assertEquals(e.get("score").asDouble(), g.get("score").asDouble(), 1e-3);
            assertEquals(e.get("segmentation").get("size"), g.get("segmentation").get("size"));
            int h = g.get("segmentation").get("size").get(0).asInt(), w = g.get("segmentation").get("size").get(1).asInt();
            CocoRle a = CocoRle.fromCompressedString(e.get("segmentation").get("counts").asText(), h, w);
            CocoRle b = CocoRle.fromCompressedString(g.get("segmentation").get("counts").asText(), h, w);
            double iou = CocoRle.iou(List.of(a), List.of(b), new boolean[] {false})[0][0];
            assertTrue(iou >= 0.98 || (a.area() == 0 && b.area() == 0), "segm record " + i + ": mask IoU " + iou);
        }
    }

    private static List<String> fields(JsonNode record) {
        List<String> names = new ArrayList<>();
        for (Iterator<String> it = record.fieldNames(); it.hasNext(); ) names.add(it.next());
        return names;
    }
}
