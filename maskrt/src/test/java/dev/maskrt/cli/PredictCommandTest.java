package dev.maskrt.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.maskrt.Predictor;
import dev.maskrt.PredictorOptions;
import dev.maskrt.cascade.TinyReference;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PredictCommandTest {
    static final String MODEL = TinyReference.PACKAGE.toString();
    static List<TinyReference.Image> refs;
    static int[] expectedCounts;

    @BeforeAll
    static void expected() {
        refs = TinyReference.images();
        expectedCounts = new int[refs.size()];
        try (Predictor p = Predictor.open(TinyReference.PACKAGE, PredictorOptions.builder().threads(2).build())) {
            for (int i = 0; i < refs.size(); i++) expectedCounts[i] = p.predict(refs.get(i).file()).size();
        }
    }

    /** The reference images as 000001.ext ... plus a truncated 000009.png. */
    private static Path imagesDir(Path dir) throws Exception {
        Path images = Files.createDirectories(dir.resolve("images"));
        for (int i = 0; i < refs.size(); i++) {
            Path f = refs.get(i).file();
            String ext = f.toString().substring(f.toString().lastIndexOf('.'));
            Files.copy(f, images.resolve(String.format("%06d%s", i + 1, ext)));
        }
        byte[] png = Files.readAllBytes(refs.get(2).file());
        Files.write(images.resolve("000009.png"), java.util.Arrays.copyOf(png, png.length / 2));
        Files.writeString(images.resolve("notes.txt"), "not an image");
        return images;
    }

    @Test
    void predictsADirectoryWritingEveryFormatAndReportsTheCorruptFile(@TempDir Path dir) throws Exception {
        Path images = imagesDir(dir), out = dir.resolve("out");
        MainTest.Run run = MainTest.run("predict", "--model", MODEL, "--images", images.toString(), "--out",
                out.toString(), "--format", "coco,sartorius", "--format", "dsb", "--overlays", "--threads", "2");
        assertEquals(1, run.status(), run.err());
        int total = java.util.Arrays.stream(expectedCounts).sum();
        assertTrue(run.out().contains("4 images done, " + total + " instances, 1 failed"), run.out());
        assertTrue(run.err().contains("maskrt: failed: " + images.resolve("000009.png")), run.err());
        assertTrue(run.err().contains("predict: 5/5 images"), run.err());

        JsonNode results = new ObjectMapper().readTree(out.resolve("coco_results.json").toFile());
        assertEquals(total, results.size());
        int[] perImage = new int[refs.size()];
        for (JsonNode r : results) {
            perImage[r.get("image_id").asInt() - 1]++;
            int category = r.get("category_id").asInt();
            assertTrue(category >= 1 && category <= 3);
            assertTrue(r.get("segmentation").get("counts").isTextual());
        }
        assertEquals(java.util.Arrays.toString(expectedCounts), java.util.Arrays.toString(perImage));

        List<String> sartorius = Files.readAllLines(out.resolve("submission_sartorius.csv"));
        assertEquals("id,predicted", sartorius.get(0));
        Set<String> ids = new HashSet<>();
        for (String line : sartorius.subList(1, sartorius.size())) ids.add(line.substring(0, line.indexOf(',')));
        assertEquals(Set.of("000001", "000002", "000003", "000004"), ids);
        assertEquals("ImageId,EncodedPixels", Files.readAllLines(out.resolve("submission_dsb.csv")).get(0));
        for (int i = 1; i <= 4; i++) {
            assertTrue(Files.size(out.resolve("overlays").resolve(String.format("%06d.png", i))) > 0);
        }
    }

    @Test
    void cocoGroundTruthGivesImageAndCategoryIds(@TempDir Path dir) throws Exception {
        Path images = imagesDir(dir), out = dir.resolve("out");
        Path gt = dir.resolve("gt.json");
        Files.writeString(gt, "{\"images\": [{\"id\": 42, \"file_name\": \"000003.png\", \"height\": 120, \"width\": 160}],"
                + " \"categories\": [{\"id\": 7, \"name\": \"blob\"}, {\"id\": 5, \"name\": \"cell\"},"
                + " {\"id\": 6, \"name\": \"debris\"}], \"annotations\": []}");
        MainTest.Run run = MainTest.run("predict", "--model", MODEL, "--images", images.resolve("000003.png").toString(),
                "--out", out.toString(), "--coco-gt", gt.toString(), "--score-thresh", "0.1");
        assertEquals(0, run.status(), run.err());
        JsonNode results = new ObjectMapper().readTree(out.resolve("coco_results.json").toFile());
        assertTrue(results.size() > 0 && results.size() < expectedCounts[2]);
        for (JsonNode r : results) {
            assertEquals(42, r.get("image_id").asInt());
            assertTrue(Set.of(5, 6, 7).contains(r.get("category_id").asInt()));
            assertTrue(r.get("score").asDouble() > 0.1);
        }
    }

    @Test
    void nonNumericFileNamesGetSequentialCocoIds(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("out");
        MainTest.Run run = MainTest.run("predict", "--model", MODEL, "--images", refs.get(2).file().toString(),
                refs.get(3).file().toString(), "--out", out.toString(), "--format", "coco,airbus");
        assertEquals(0, run.status(), run.err());
        JsonNode ids = new ObjectMapper().readTree(out.resolve("coco_image_ids.json").toFile());
        assertEquals(1, ids.get(refs.get(2).file().toString()).asInt());
        assertEquals(2, ids.get(refs.get(3).file().toString()).asInt());
        JsonNode results = new ObjectMapper().readTree(out.resolve("coco_results.json").toFile());
        assertEquals(expectedCounts[2] + expectedCounts[3], results.size());
        List<String> airbus = Files.readAllLines(out.resolve("submission_airbus.csv"));
        assertTrue(airbus.get(1).startsWith(refs.get(2).file().getFileName() + ","), airbus.get(1));
    }

    @Test
    void ttaFollowsTheModelUnlessToldAndResumeNeedsTheSameChoice(@TempDir Path dir) throws Exception {
        String ttaModel = "src/test/resources/models/tiny-tta"; // test_aug.enabled: true
        Path image = refs.get(2).file();
        int plain, augmented;
        try (Predictor p = Predictor.open(Path.of(ttaModel), PredictorOptions.builder().threads(2).tta(false).build())) {
            plain = p.predict(image).size();
        }
        try (Predictor p = Predictor.open(Path.of(ttaModel), PredictorOptions.builder().threads(2).build())) {
            assertTrue(p.tta());
            augmented = p.predict(image).size();
        }
        assertTrue(plain != augmented, plain + " detections both ways: cannot tell TTA apart");
        String[][] runs = {{}, {"--tta"}, {"--no-tta"}};
        int[] expected = {augmented, augmented, plain};
        for (int k = 0; k < runs.length; k++) {
            Path out = dir.resolve("out" + k);
            List<String> args = new java.util.ArrayList<>(List.of("predict", "--model", ttaModel, "--images",
                    image.toString(), "--out", out.toString(), "--threads", "2"));
            args.addAll(List.of(runs[k]));
            MainTest.Run run = MainTest.run(args.toArray(String[]::new));
            assertEquals(0, run.status(), run.err());
            assertEquals(expected[k], new ObjectMapper().readTree(out.resolve("coco_results.json").toFile()).size(),
                    String.join(" ", runs[k]));
        }
        // a failed run's journal (truncated second image) written with --no-tta is not resumed with --tta
        Path images = imagesDir(dir.resolve("failing")), out = dir.resolve("out-failed");
        String[] common = {"predict", "--model", ttaModel, "--images", image.toString(),
                images.resolve("000009.png").toString(), "--out", out.toString(), "--threads", "2"};
        List<String> first = new java.util.ArrayList<>(List.of(common));
        first.add("--no-tta");
        assertEquals(1, MainTest.run(first.toArray(String[]::new)).status());
        List<String> resume = new java.util.ArrayList<>(List.of(common));
        resume.addAll(List.of("--resume", "--tta"));
        MainTest.Run refused = MainTest.run(resume.toArray(String[]::new));
        assertEquals(2, refused.status(), refused.err());
        assertTrue(refused.err().contains("settings: tta was false, now true"), refused.err());
    }

    @Test
    void usageAndModelErrorsExitWith2(@TempDir Path dir) throws Exception {
        MainTest.Run missing = MainTest.run("predict", "--images", dir.toString(), "--out", dir.toString());
        assertEquals(2, missing.status());
        assertTrue(missing.err().contains("--model"), missing.err());
        Path images = imagesDir(dir);
        MainTest.Run badModel = MainTest.run("predict", "--model", dir.toString(), "--images", images.toString(),
                "--out", dir.resolve("out").toString());
        assertEquals(2, badModel.status());
        assertTrue(badModel.err().contains("manifest.json"), badModel.err());
        MainTest.Run badFormat = MainTest.run("predict", "--model", MODEL, "--images", images.toString(), "--out",
                dir.resolve("out").toString(), "--format", "pdf");
        assertEquals(2, badFormat.status());
    }

    /** Predictions running ahead change nothing in the outputs: --in-flight 4 writes the bytes --in-flight 1 does. */
    @Test
    void imagesInFlightGiveTheSameOutputsInInputOrder(@TempDir Path dir) throws Exception {
        Path images = imagesDir(dir);
        List<byte[]> outputs = new java.util.ArrayList<>();
        for (String n : List.of("1", "4")) {
            Path out = dir.resolve("out" + n);
            MainTest.Run run = MainTest.run("predict", "--model", MODEL, "--images", images.toString(), "--out",
                    out.toString(), "--format", "coco,dsb", "--threads", "2", "--in-flight", n);
            assertEquals(1, run.status(), run.err()); // the truncated 000009.png
            assertTrue(run.err().contains("maskrt: failed: " + images.resolve("000009.png")), run.err());
            outputs.add(Files.readAllBytes(out.resolve("coco_results.json")));
            outputs.add(Files.readAllBytes(out.resolve("submission_dsb.csv")));
        }
        assertTrue(java.util.Arrays.equals(outputs.get(0), outputs.get(2)), "coco_results.json differs");
        assertTrue(java.util.Arrays.equals(outputs.get(1), outputs.get(3)), "submission_dsb.csv differs");
        MainTest.Run bad = MainTest.run("predict", "--model", MODEL, "--images", images.toString(), "--out",
                dir.resolve("bad").toString(), "--in-flight", "9");
        assertEquals(2, bad.status());
        assertTrue(bad.err().contains("--in-flight: must be 1..8 (0 = from the core count), got 9"), bad.err());
    }

    /**
     * Images in flight: --in-flight, or by default cores / 4 between 2 and 8, never more than the images left;
     * --threads (all cores by default) is shared by them, each prediction getting threads / images in flight, at
     * least 1.
     */
    @Test
    void imagesInFlightAndTheirThreadsFollowTheCoresAndTheImages() {
        PredictCommand c = new PredictCommand();
        assertEquals(2, c.imagesInFlight(2, 100));
        assertEquals(2, c.imagesInFlight(8, 100));
        assertEquals(4, c.imagesInFlight(16, 100));
        assertEquals(8, c.imagesInFlight(64, 100));
        assertEquals(1, c.threadsPerPrediction(2, 100)); // two images, one core each
        assertEquals(4, c.threadsPerPrediction(16, 100)); // four images, four cores each
        assertEquals(1, c.imagesInFlight(2, 1)); // one image (e.g. with TTA) gets every core
        assertEquals(2, c.threadsPerPrediction(2, 1));
        assertEquals(3, c.imagesInFlight(16, 3));
        assertEquals(5, c.threadsPerPrediction(16, 3));
        assertEquals(1, c.imagesInFlight(16, 0)); // nothing left (a finished run resumed)
        c.threads = 6;
        assertEquals(1, c.threadsPerPrediction(16, 100)); // 6 threads over 4 images
        c.inFlight = 2;
        assertEquals(3, c.threadsPerPrediction(16, 100));
        assertEquals(6, c.threadsPerPrediction(16, 1));
        c.inFlight = 1;
        assertEquals(6, c.threadsPerPrediction(16, 100));
    }
}
