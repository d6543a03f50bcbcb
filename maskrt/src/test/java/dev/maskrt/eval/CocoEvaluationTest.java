package dev.maskrt.eval;

import static org.junit.jupiter.api.Assertions.assertTrue;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.maskrt.util.Workers;
import dev.maskrt.output.CocoRle;
import dev.maskrt.error.InputFormatException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CocoEvaluationTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    @TempDir Path tmp;

    private static Path sharedData() {
        return Path.of(System.getProperty("maskrt.sharedData", "../../shared/data"));
    }

    /**
     * coco-small (faster_coco_eval test data): each detection's polygons merged into one RLE at the image size, bbox
     * dropped, segm evaluation. Expected stats from the data's README (pycocotools).
     */
    @Test
    void cocoSmallSegmMatchesPycocotools() throws IOException {
        Path gt = sharedData().resolve("coco-small/gt_dataset.json");
        Path results = cocoSmallMaskResults(gt);
        double[] expected = {0.6947194719471946, 0.6947194719471946, 0.6947194719471946, -1.0, 0.7367986798679867, 0.0,
                0.6666666666666666, 0.75, 0.75, -1.0, 0.7916666666666666, 0.0};
        for (int threads = 1; threads <= 3; threads++) {
            try (Workers w = new Workers(threads)) {
                CocoSummary s = CocoEvaluation.evaluate(CocoGroundTruth.load(gt), results, IouType.SEGM, new int[] {1, 10, 100}, w);
                assertArrayEquals(expected, s.stats(), 1e-10);
                assertEquals(List.of("AP", "AP50", "AP75", "APs", "APm", "APl", "AR1", "AR10", "AR100", "ARs", "ARm", "ARl"),
                        new ArrayList<>(s.named().keySet()));
                assertEquals(expected[4], s.named().get("APm"), 1e-10);
                String[] lines = s.table().split("\n");
                assertEquals(12, lines.length);
                assertEquals(" Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ] = 0.695", lines[0]);
                assertEquals(" Average Precision  (AP) @[ IoU=0.50      | area=   all | maxDets=100 ] = 0.695", lines[1]);
                assertEquals(" Average Precision  (AP) @[ IoU=0.50:0.95 | area= small | maxDets=100 ] = -1.000", lines[3]);
                assertEquals(" Average Recall     (AR) @[ IoU=0.50:0.95 | area=   all | maxDets=  1 ] = 0.667", lines[6]);
                assertEquals(" Average Recall     (AR) @[ IoU=0.50:0.95 | area=medium | maxDets=100 ] = 0.792", lines[10]);
                assertEquals(4, s.perCategoryAp().size());
            }
        }
    }

    /**
     * Box-only results (a Faster / Cascade R-CNN without masks: no {@code segmentation}) on 20 DSB 2018 images against
     * pycocotools' bbox evaluation: the seed's table (mAP, AP50, AP75, APs, APm, APl) and the rest of the 12 stats.
     * Golden: {@code tools/reference/make_bbox_eval_golden.py}.
     */
    @Test
    void boxOnlyResultsMatchPycocotools() throws IOException {
        Path dir = Path.of("src/test/resources/eval");
        JsonNode golden = new ObjectMapper().readTree(dir.resolve("dsb20_box_stats.json").toFile());
        double[] expected = new double[12];
        for (int i = 0; i < 12; i++) expected[i] = golden.get("pycocotools_stats").get(i).asDouble();
        try (Workers w = new Workers(2)) {
            CocoSummary s = CocoEvaluation.evaluate(CocoGroundTruth.load(dir.resolve("dsb20_boxes_gt.json")),
                    dir.resolve("dsb20_box_results.json"), IouType.BBOX, new int[] {1, 10, 100}, w);
            assertArrayEquals(expected, s.stats(), 1e-12);
            for (String k : List.of("AP", "AP50", "AP75", "APs", "APm", "APl")) assertTrue(s.named().containsKey(k), k);
        }
    }

    /** The README's preparation: polygons -> frPyObjects + merge at the image size -> compressed RLE; no bbox. */
    private Path cocoSmallMaskResults(Path gtFile) throws IOException {
        CocoGroundTruth gt = CocoGroundTruth.load(gtFile);
        JsonNode dets = JSON.readTree(sharedData().resolve("coco-small/dt_dataset.json").toFile());
        ArrayNode out = JSON.createArrayNode();
        for (JsonNode d : dets) {
            CocoGroundTruth.Image img = gt.imageById(d.get("image_id").asLong());
            List<double[]> polys = new ArrayList<>();
            for (JsonNode poly : d.get("segmentation")) {
                double[] xy = new double[poly.size()];
                for (int i = 0; i < xy.length; i++) xy[i] = poly.get(i).asDouble();
                polys.add(xy);
            }
            CocoRle rle = CocoRle.fromPolygons(polys, img.height(), img.width());
            ObjectNode o = out.addObject();
            o.put("image_id", d.get("image_id").asLong());
            o.put("category_id", d.get("category_id").asInt());
            o.put("score", d.get("score").asDouble());
            ObjectNode seg = o.putObject("segmentation");
            seg.putArray("size").add(rle.height()).add(rle.width());
            seg.put("counts", rle.toCompressedString());
        }
        Path p = tmp.resolve("coco_small_results.json");
        JSON.writeValue(p.toFile(), out);
        return p;
    }

    // ---------------------------------------------------------------- hand-worked bbox cases

    private Path write(String name, Object value) throws IOException {
        Path p = tmp.resolve(name);
        JSON.writeValue(p.toFile(), value);
        return p;
    }

    private static Map<String, Object> ann(int id, int cat, double[] box, int crowd) {
        return Map.of("id", id, "image_id", 1, "category_id", cat, "bbox", box, "area", box[2] * box[3],
                "iscrowd", crowd);
    }

    private static Map<String, Object> det(int cat, double[] box, double score) {
        return Map.of("image_id", 1, "category_id", cat, "bbox", box, "score", score);
    }

    private Path gt(List<Map<String, Object>> anns) throws IOException {
        return write("gt.json", Map.of("images", List.of(Map.of("id", 1, "width", 100, "height", 100, "file_name", "a.png")),
                "categories", List.of(Map.of("id", 1, "name", "cell"), Map.of("id", 2, "name", "dot")),
                "annotations", anns));
    }

    /**
     * 2 GT, 3 detections: D1 (0.9) equals G1; D2 (0.8) has IoU exactly 0.5 with G2; D3 (0.7) hits nothing.
     * IoU 0.50: TP TP FP -> precision 1 at every recall -> AP 1. IoU >= 0.55: TP FP FP -> recall stops at 0.5, so
     * the 51 recall points 0..0.50 have precision 1 and the other 50 have 0 -> AP 51/101.
     * AP = (1 + 9 * 51/101) / 10 = 560/1010. All GT areas are 100 (small). AR1 = 0.5 (only D1), AR10 = AR100 =
     * (1 + 9 * 0.5) / 10 = 0.55.
     */
    @Test
    void bboxHandWorked() throws IOException {
        Path gt = gt(List.of(ann(1, 1, new double[] {0, 0, 10, 10}, 0), ann(2, 1, new double[] {50, 50, 10, 10}, 0)));
        Path res = write("res.json", List.of(det(1, new double[] {0, 0, 10, 10}, 0.9),
                det(1, new double[] {50, 50, 10, 5}, 0.8), det(1, new double[] {20, 20, 10, 10}, 0.7)));
        CocoSummary s = CocoEvaluation.evaluate(gt, res, IouType.BBOX, CocoParams.DEFAULT_MAX_DETS);
        double ap = 560.0 / 1010;
        assertArrayEquals(new double[] {ap, 1.0, 51.0 / 101, ap, -1, -1, 0.5, 0.55, 0.55, 0.55, -1, -1}, s.stats(), 1e-12);
        assertEquals(Map.of(1, ap, 2, -1.0), s.perCategoryAp());
        // segm evaluation of box results rasterises the boxes (loadRes adds the box polygon); same matches here
        // except that the GT has no segmentation, which is an error naming the record
        InputFormatException e = assertThrows(InputFormatException.class,
                () -> CocoEvaluation.evaluate(gt, res, IouType.SEGM, CocoParams.DEFAULT_MAX_DETS));
        assertTrue(e.getMessage().contains("annotations[0]") && e.getMessage().contains("segmentation"), e.getMessage());
    }

    /**
     * A crowd GT (G1) and a normal one (G2). D0 (0.95) matches G2. D1, D2 lie inside the crowd region: crowd IoU is
     * intersection / area(dt) = 1, a crowd may absorb several detections, and they are ignored. D3 duplicates G2, which
     * is taken, so it is a false positive ranked last: precision is 1 up to recall 1 -> AP 1, AR 1.
     */
    @Test
    void crowdGroundTruthAbsorbsDetections() throws IOException {
        Path gt = gt(List.of(ann(1, 1, new double[] {0, 0, 20, 20}, 1), ann(2, 1, new double[] {50, 50, 10, 10}, 0)));
        Path res = write("res.json", List.of(det(1, new double[] {50, 50, 10, 10}, 0.95),
                det(1, new double[] {0, 0, 10, 10}, 0.9), det(1, new double[] {5, 5, 10, 10}, 0.8),
                det(1, new double[] {50, 50, 10, 10}, 0.7)));
        CocoSummary s = CocoEvaluation.evaluate(gt, res, IouType.BBOX, CocoParams.DEFAULT_MAX_DETS);
        // precision is tp / (fp + tp + np.spacing(1)): a perfect AP is 1/(1+2^-52) = 0.9999999999999998 in pycocotools
        assertEquals(1 / (1 + Math.ulp(1.0)), s.stats()[0], 0.0);
        assertEquals(1.0, s.stats()[8], 0.0);
        // without the crowd flag D1 and D2 are false positives before D3... and after D0: precision 1/2, 1/3 at
        // recall 1/2 is still 1 (the envelope), recall 1/2 only: AP = 51/101 at every threshold for the envelope
        Path gt2 = gt(List.of(ann(1, 1, new double[] {0, 0, 20, 20}, 0), ann(2, 1, new double[] {50, 50, 10, 10}, 0)));
        CocoSummary s2 = CocoEvaluation.evaluate(gt2, res, IouType.BBOX, CocoParams.DEFAULT_MAX_DETS);
        // D1 has IoU 100/400 = 0.25 with G1: no match at any threshold, so G1 is never found: recall 0.5
        assertEquals(51.0 / 101, s2.stats()[0], 1e-12);
        assertEquals(0.5, s2.stats()[8], 1e-12);
    }

    /** Per-category AP: category 1 perfect; category 2 has a false positive ranked above its true positive -> 0.5. */
    @Test
    void perCategoryAp() throws IOException {
        Path gt = gt(List.of(ann(1, 1, new double[] {0, 0, 40, 40}, 0), ann(2, 2, new double[] {50, 50, 40, 40}, 0)));
        Path res = write("res.json", List.of(det(1, new double[] {0, 0, 40, 40}, 0.5),
                det(2, new double[] {0, 0, 5, 5}, 0.9), det(2, new double[] {50, 50, 40, 40}, 0.8)));
        CocoSummary s = CocoEvaluation.evaluate(gt, res, IouType.BBOX, CocoParams.DEFAULT_MAX_DETS);
        assertEquals(Map.of(1, 1 / (1 + Math.ulp(1.0)), 2, 0.5), s.perCategoryAp());
        assertEquals(0.75, s.stats()[0], 1e-12);
        // both GT are 1600 px (medium); for the medium range the 25 px false positive is outside the range and
        // unmatched, so it is ignored: category 2 is perfect there too
        assertEquals(1 / (1 + Math.ulp(1.0)), s.stats()[4], 0.0);
        // maxDets=1 keeps only the 0.9 false positive in category 2: AR1 = (1 + 0) / 2
        assertEquals(0.5, s.stats()[6], 1e-12);
    }

    @Test
    void customMaxDetsUseTheLargestValueAndLabelTheTable() throws IOException {
        Path gt = gt(List.of(ann(1, 1, new double[] {0, 0, 10, 10}, 0), ann(2, 1, new double[] {50, 50, 10, 10}, 0)));
        Path res = write("res.json", List.of(det(1, new double[] {0, 0, 10, 10}, 0.9),
                det(1, new double[] {50, 50, 10, 5}, 0.8), det(1, new double[] {20, 20, 10, 10}, 0.7)));
        CocoSummary d = CocoEvaluation.evaluate(gt, res, IouType.BBOX, CocoParams.DEFAULT_MAX_DETS);
        CocoSummary c = CocoEvaluation.evaluate(gt, res, IouType.BBOX, new int[] {1000, 100, 300});
        assertEquals(d.stats()[0], c.stats()[0], 0.0);
        assertEquals(d.stats()[8], c.stats()[6], 0.0); // AR@100 (first of 100, 300, 1000)
        String[] lines = c.table().split("\n");
        assertTrue(lines[0].endsWith("maxDets=1000 ] = 0.554"), lines[0]);
        assertTrue(lines[6].contains("maxDets=100 ]"), lines[6]);
        assertTrue(lines[7].contains("maxDets=300 ]"), lines[7]);
        assertThrows(IllegalArgumentException.class, () -> CocoEvaluation.evaluate(gt, res, IouType.BBOX, new int[0]));
    }

    @Test
    void emptyResultsGiveZeros() throws IOException {
        Path gt = gt(List.of(ann(1, 1, new double[] {0, 0, 10, 10}, 0)));
        CocoSummary s = CocoEvaluation.evaluate(gt, write("res.json", List.of()), IouType.BBOX, CocoParams.DEFAULT_MAX_DETS);
        assertArrayEquals(new double[] {0, 0, 0, 0, -1, -1, 0, 0, 0, 0, -1, -1}, s.stats(), 0.0);
    }

    @Test
    void badInputNamesFileRecordAndField() throws IOException {
        Path gt = gt(List.of(ann(1, 1, new double[] {0, 0, 10, 10}, 0)));
        Path res = write("res.json", List.of(det(1, new double[] {0, 0, 10, 10}, 0.9),
                Map.of("image_id", 42, "category_id", 1, "bbox", new double[] {0, 0, 1, 1}, "score", 0.5)));
        InputFormatException e = assertThrows(InputFormatException.class,
                () -> CocoEvaluation.evaluate(gt, res, IouType.BBOX, CocoParams.DEFAULT_MAX_DETS));
        assertTrue(e.getMessage().contains("res.json: results[1]: field 'image_id'"), e.getMessage());
        Path noScore = write("res2.json", List.of(Map.of("image_id", 1, "category_id", 1, "bbox", new double[] {0, 0, 1, 1})));
        e = assertThrows(InputFormatException.class,
                () -> CocoEvaluation.evaluate(gt, noScore, IouType.BBOX, CocoParams.DEFAULT_MAX_DETS));
        assertTrue(e.getMessage().contains("results[0]: field 'score'"), e.getMessage());
        Path badGt = write("gt_bad.json", Map.of("images", List.of(Map.of("id", 1, "width", 10, "height", 10)),
                "categories", List.of(), "annotations", List.of(Map.of("id", 1, "image_id", 1, "category_id", 1))));
        e = assertThrows(InputFormatException.class, () -> CocoGroundTruth.load(badGt));
        assertTrue(e.getMessage().contains("annotations[0]: field 'area'"), e.getMessage());
        Path unknownCategory = write("res3.json", List.of(det(7, new double[] {0, 0, 10, 10}, 0.9)));
        e = assertThrows(InputFormatException.class,
                () -> CocoEvaluation.evaluate(gt, unknownCategory, IouType.BBOX, CocoParams.DEFAULT_MAX_DETS));
        assertTrue(e.getMessage().contains("results[0]: field 'category_id': category 7 is not in the ground truth"),
                e.getMessage());
        Path wrongSize = write("res4.json", List.of(Map.of("image_id", 1, "category_id", 1, "score", 0.5,
                "segmentation", Map.of("size", List.of(10, 12), "counts", List.of(0, 120)))));
        e = assertThrows(InputFormatException.class,
                () -> CocoEvaluation.evaluate(gt, wrongSize, IouType.SEGM, CocoParams.DEFAULT_MAX_DETS));
        assertTrue(e.getMessage().contains("results[0]: field 'segmentation': RLE size [10, 12] disagrees with the image's [100, 100]"),
                e.getMessage());
        Path notJson = tmp.resolve("broken.json");
        Files.writeString(notJson, "[{\"image_id\": ");
        assertThrows(InputFormatException.class,
                () -> CocoEvaluation.evaluate(gt, notJson, IouType.BBOX, CocoParams.DEFAULT_MAX_DETS));
    }

    @Test
    void thresholdsAreNumpyLinspace() {
        // np.linspace(.5, .95, 10) and np.linspace(0, 1, 101), printed with repr() by numpy 1.24
        double[] iou = CocoParams.iouThresholds();
        assertEquals(0.75, iou[5], 0.0);
        assertEquals(0.6, iou[2], 0.0);
        assertEquals(0.8999999999999999, iou[8], 0.0);
        assertEquals(0.95, iou[9], 0.0);
        double[] rec = CocoParams.recallThresholds();
        assertEquals(101, rec.length);
        assertEquals(0.07, rec[7], 0.0);
        assertEquals(0.29, rec[29], 0.0);
        assertEquals(0.5700000000000001, rec[57], 0.0);
        assertEquals(1.0, rec[100], 0.0);
    }
}
