package dev.maskrt.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.maskrt.ImageInput;
import dev.maskrt.Prediction;
import dev.maskrt.Predictor;
import dev.maskrt.PredictorOptions;
import dev.maskrt.image.ImageDecoder;
import dev.maskrt.model.TinyPackages;
import dev.maskrt.error.InputFormatException;
import dev.maskrt.error.PredictorClosedException;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 14: what a new user's odd inputs do to {@code maskrt predict}, {@code maskrt eval} and {@link Predictor}.
 * Each case asserts the kind of message (naming the option, file, field or entry) and that nothing hangs or crashes.
 */
class HostileInputsTest {
    static final String MODEL = TinyPackages.TINY.toString();
    static final Path IMAGES = TinyPackages.TINY.resolve("reference/images");
    static final Path RGB = IMAGES.resolve("synthetic-rgb-120x160.png");
    static final Path GRAY = IMAGES.resolve("synthetic-gray-90x300.png");

    @TempDir Path dir;

    private MainTest.Run predict(Path out, String... more) {
        List<String> args = new ArrayList<>(List.of("predict", "--model", MODEL, "--out", out.toString(),
                "--threads", "2"));
        args.addAll(List.of(more));
        return MainTest.run(args.toArray(new String[0]));
    }

    private static void assertUsage(MainTest.Run run, String... parts) {
        assertEquals(2, run.status(), run.err());
        for (String part : parts) assertTrue(run.err().contains(part), () -> "'" + part + "' not in: " + run.err());
    }

    private static Path mkfifo(Path path) throws Exception {
        Process p;
        try {
            p = new ProcessBuilder("mkfifo", path.toString()).start();
        } catch (IOException e) {
            Assumptions.abort("no mkfifo here");
            return null;
        }
        Assumptions.assumeTrue(p.waitFor() == 0, "mkfifo failed");
        return path;
    }

    // ----- inputs that must be refused by type or size, never read

    @Test
    void fifoNamedLikeAnImageIsRefusedWithoutHanging() throws Exception {
        Path images = Files.createDirectories(dir.resolve("images"));
        Files.copy(RGB, images.resolve("a.png"));
        Path fifo = mkfifo(images.resolve("x.png"));
        InputFormatException e = assertTimeoutPreemptively(Duration.ofSeconds(20),
                () -> assertThrows(InputFormatException.class, () -> ImageDecoder.bgr().decode(fifo)));
        assertTrue(e.getMessage().startsWith(fifo + ": not a regular file (a FIFO, device or socket)"), e.getMessage());
        MainTest.Run run = assertTimeoutPreemptively(Duration.ofSeconds(60),
                () -> predict(dir.resolve("out"), "--images", images.toString()));
        assertEquals(1, run.status(), run.err());
        assertTrue(run.out().contains("1 images done"), run.out());
        assertTrue(run.err().contains("maskrt: failed: " + fifo + ": not a regular file"), run.err());
    }

    @Test
    void deviceIsRefusedByTypeNotReadIntoMemory() {
        Path zero = Path.of("/dev/zero");
        Assumptions.assumeTrue(Files.exists(zero));
        InputFormatException e = assertTimeoutPreemptively(Duration.ofSeconds(10),
                () -> assertThrows(InputFormatException.class, () -> ImageDecoder.bgr().decode(zero)));
        assertTrue(e.getMessage().contains("/dev/zero: not a regular file"), e.getMessage());
    }

    @Test
    void fileOverTheSizeCapIsRefusedBeforeReading() throws Exception {
        InputFormatException e = assertThrows(InputFormatException.class,
                () -> new ImageDecoder(dev.maskrt.image.ChannelFormat.BGR, 100).decode(RGB));
        assertTrue(e.getMessage().contains("is larger than the limit of 100 bytes"), e.getMessage());
        MainTest.Run run = predict(dir.resolve("out"), "--images", RGB.toString(), "--max-image-bytes", "1k");
        assertEquals(1, run.status(), run.err());
        assertTrue(run.err().contains(RGB + ": file of ") && run.err().contains("limit of 1024 bytes"), run.err());
        assertUsage(predict(dir.resolve("out2"), "--images", RGB.toString(), "--max-image-bytes", "lots"),
                "--max-image-bytes");
    }

    @Test
    void decompressionBombGetsOnePlainSentence() throws Exception {
        Path bomb = Files.write(dir.resolve("bomb.png"), pngHeaderOnly(40000, 40000));
        InputFormatException e = assertThrows(InputFormatException.class, () -> ImageDecoder.bgr().decode(bomb));
        assertTrue(e.getMessage().startsWith(bomb + ": image has more pixels than OpenCV will decode"), e.getMessage());
        assertTrue(e.getMessage().contains("OPENCV_IO_MAX_IMAGE_PIXELS"), e.getMessage());
        assertFalse(e.getMessage().contains(".cpp") || e.getMessage().contains("Assertion"), e.getMessage());
    }

    @Test
    void directoryNamedLikeAnImageIsReportedInAFolderAndWhenNamed() throws Exception {
        Path images = Files.createDirectories(dir.resolve("images"));
        Files.copy(RGB, images.resolve("a.png"));
        Path fake = Files.createDirectories(images.resolve("fake.png"));
        MainTest.Run listed = predict(dir.resolve("out1"), "--images", images.toString());
        assertEquals(1, listed.status(), listed.err());
        assertTrue(listed.err().contains(fake + ": not a regular file (a directory)"), listed.err());
        MainTest.Run named = predict(dir.resolve("out2"), "--images", fake.toString(), RGB.toString());
        assertEquals(0, named.status(), named.err());
        assertTrue(named.err().contains("maskrt: warning: --images " + fake + ": a folder with no image files"),
                named.err());
    }

    // ----- options and manifest values

    @Test
    void outOfRangeOptionsAreRefusedNamingTheOption() {
        String img = RGB.toString();
        Path out = dir.resolve("out");
        assertUsage(MainTest.run("predict", "--model", MODEL, "--out", out.toString(), "--images", img, "--threads",
                "10000"), "--threads must be in 0..256");
        assertUsage(predict(out, "--images", img, "--score-thresh", "-1"), "--score-thresh must be in [0, 1], got -1");
        assertUsage(predict(out, "--images", img, "--score-thresh", "2"), "--score-thresh must be in [0, 1], got 2");
        assertUsage(predict(out, "--images", img, "--detections-per-image", "0"), "--detections-per-image must be >= 1");
        assertUsage(predict(out, "--images", img, "--detections-per-image", "-1"), "--detections-per-image must be >= 1");
        assertUsage(predict(out, "--images", img, "--min-pixels", "-1"), "--min-pixels must be >= 0");
        assertUsage(predict(out, "--images", img, "--resume", "--overwrite"), "--resume and --overwrite");
        assertFalse(Files.exists(out), "nothing is created for refused options");
        assertUsage(MainTest.run("eval", "--metric", "sartorius", "--gt", img, "--submission", img, "--threads",
                "10000"), "--threads must be in 0..256");
        assertThrows(IllegalArgumentException.class, () -> PredictorOptions.builder().threads(10000));
        assertThrows(IllegalArgumentException.class, () -> PredictorOptions.builder().scoreThreshold(-0.5f));
        assertThrows(IllegalArgumentException.class, () -> PredictorOptions.builder().detectionsPerImage(0));
    }

    @Test
    void manifestValuesOutOfRangeAreRefusedNamingTheField() throws Exception {
        Path pkg = TinyPackages.edited(dir.resolve("pkg"), r -> TinyPackages.at(r, "roi_heads").put("score_thresh", -0.5));
        MainTest.Run run = MainTest.run("predict", "--model", pkg.toString(), "--images", RGB.toString(), "--out",
                dir.resolve("out").toString());
        assertUsage(run, "manifest.json", "field 'roi_heads.score_thresh': must be in [0, 1], got -0.5");
        Path pkg2 = TinyPackages.edited(dir.resolve("pkg2"),
                r -> TinyPackages.at(r, "roi_heads").put("detections_per_image", 0));
        assertUsage(MainTest.run("predict", "--model", pkg2.toString(), "--images", RGB.toString(), "--out",
                dir.resolve("out").toString()),
                "field 'roi_heads.detections_per_image': must be >= 1 (or negative to keep all), got 0");
    }

    @Test
    void unusableOutFolderIsNamedWithTheReason() throws Exception {
        Path file = Files.writeString(dir.resolve("file"), "x");
        assertUsage(predict(file, "--images", RGB.toString()), "--out " + file + ": exists and is not a directory");
        Path proc = Path.of("/proc/maskrt-cannot-be-here");
        Assumptions.assumeTrue(Files.isDirectory(Path.of("/proc")));
        assertUsage(predict(proc, "--images", RGB.toString()), "--out " + proc + ": cannot create this directory (");
    }

    // ----- ids and duplicates

    @Test
    void sameStemsGetUniqueIdsAndTheSameFileIsProcessedOnce() throws Exception {
        Path images = Files.createDirectories(dir.resolve("images"));
        Files.copy(RGB, images.resolve("x.png"));
        writeTiff(GRAY, images.resolve("x.tif"));
        Path a = Files.createDirectories(dir.resolve("a")), b = Files.createDirectories(dir.resolve("b"));
        Files.copy(RGB, a.resolve("cell.png"));
        Files.copy(GRAY, b.resolve("cell.png"));
        Path out = dir.resolve("out");
        MainTest.Run run = predict(out, "--images", images.toString(), images.resolve(".").resolve("x.png").toString(),
                a.resolve("cell.png").toString(), b.resolve("cell.png").toString(), "--format", "coco,sartorius,airbus",
                "--overlays");
        assertEquals(0, run.status(), run.err());
        assertTrue(run.out().contains("4 images done"), run.out());
        assertEquals(Set.of("images_x.png", "images_x.tif", "a_cell", "b_cell"), ids(out.resolve("submission_sartorius.csv")));
        assertEquals(Set.of("x.png", "x.tif", "a_cell.png", "b_cell.png"), ids(out.resolve("submission_airbus.csv")));
        for (String id : List.of("images_x.png", "images_x.tif", "a_cell", "b_cell")) {
            assertTrue(Files.size(out.resolve("overlays").resolve(id + ".png")) > 0, id);
        }
        JsonNode cocoIds = new ObjectMapper().readTree(out.resolve("coco_image_ids.json").toFile());
        assertEquals(4, cocoIds.size());
    }

    @Test
    void idRuleInOneFolder() {
        List<Path> files = List.of(Path.of("/d/x.png"), Path.of("/d/x.tif"), Path.of("/d/y.png"), Path.of("/d/a,b.png"));
        assertEquals(List.of("x.png", "x.tif", "y", "a_b"), OutputIds.stems(files));
        assertEquals(List.of("x.png", "x.tif", "y.png", "a_b.png"), OutputIds.fileNames(files));
        assertEquals(List.of("a_cell.png", "b_cell", "a_cell"),
                OutputIds.stems(List.of(Path.of("/r/a/cell.png"), Path.of("/r/b/cell.png"), Path.of("/r/a_cell.png"))));
        assertEquals(List.of("a_x.png", "b_x", "a_x.png~2", "q_a_x"), OutputIds.stems(List.of(Path.of("/r/a/x.png"),
                Path.of("/r/b/x.png"), Path.of("/r/a_x.png"), Path.of("/r/q/a_x.png"))));
    }

    // ----- batches and closing

    @Test
    void anImageThatCannotJoinABatchFailsAlone() throws Exception {
        BufferedImage thin = new BufferedImage(10000, 1, BufferedImage.TYPE_3BYTE_BGR);
        Path odd = dir.resolve("thin.png");
        ImageIO.write(thin, "png", odd.toFile());
        try (Predictor p = Predictor.open(TinyPackages.TINY, PredictorOptions.builder().threads(2).batchSize(4).build())) {
            List<Prediction> results = p.predictAll(List.of(ImageInput.of(RGB), ImageInput.of(odd), ImageInput.of(GRAY)));
            assertTrue(results.get(0).isSuccess(), results.get(0).toString());
            assertFalse(results.get(1).isSuccess(), results.get(1).toString());
            assertTrue(results.get(2).isSuccess(), results.get(2).toString());
            assertEquals(p.predict(ImageInput.of(RGB)).size(), results.get(0).instances().size());
        }
    }

    @Test
    void closingDuringPredictGivesPredictorClosedException() throws Exception {
        Predictor p = Predictor.open(TinyPackages.TINY, PredictorOptions.builder().threads(2).build());
        List<ImageInput> many = new ArrayList<>();
        for (int i = 0; i < 40; i++) many.add(ImageInput.of(RGB));
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        AtomicReference<List<Prediction>> returned = new AtomicReference<>();
        Thread t = new Thread(() -> {
            try {
                returned.set(p.predictAll(many));
            } catch (Throwable e) {
                thrown.set(e);
            }
        });
        t.start();
        Thread.sleep(300);
        p.close();
        t.join(60_000);
        assertFalse(t.isAlive());
        if (thrown.get() != null) {
            assertTrue(thrown.get() instanceof PredictorClosedException, thrown.get().toString());
            assertTrue(thrown.get().getMessage().contains("predictor is closed"), thrown.get().getMessage());
        } else {
            for (Prediction r : returned.get()) assertTrue(r.isSuccess(), r.toString());
        }
        PredictorClosedException after = assertThrows(PredictorClosedException.class, () -> p.predict(RGB));
        assertTrue(after.getMessage().contains("closed"), after.getMessage());
    }

    // ----- outputs already there

    @Test
    void existingOutputsAreRefusedAndAFailedRerunKeepsThem() throws Exception {
        Path out = dir.resolve("out");
        assertEquals(0, predict(out, "--images", RGB.toString(), "--format", "coco,sartorius").status());
        byte[] coco = Files.readAllBytes(out.resolve("coco_results.json"));
        byte[] csv = Files.readAllBytes(out.resolve("submission_sartorius.csv"));
        assertFalse(Files.exists(out.resolve(PredictJournal.FILE_NAME)), "a complete run deletes its journal");

        assertUsage(predict(out, "--images", GRAY.toString(), "--format", "coco,sartorius"),
                "already holds maskrt outputs", "--resume", "--overwrite");
        Files.writeString(out.resolve("overlays"), "a file in the way");
        assertUsage(predict(out, "--images", GRAY.toString(), "--format", "coco,sartorius", "--overlays",
                "--overwrite"), "--overlays: " + out.resolve("overlays") + " exists and is not a directory");
        assertUsage(predict(out, "--images", GRAY.toString(), "--resume"), "nothing to resume");
        assertArrayEquals(coco, Files.readAllBytes(out.resolve("coco_results.json")));
        assertArrayEquals(csv, Files.readAllBytes(out.resolve("submission_sartorius.csv")));

        Files.delete(out.resolve("overlays"));
        assertEquals(0, predict(out, "--images", GRAY.toString(), "--overwrite").status());
        assertFalse(Files.exists(out.resolve("submission_sartorius.csv")), "--overwrite replaces the old outputs");
    }

    @Test
    void aFailedRunIsResumedOnlyWithTheSameSettings() throws Exception {
        Path images = Files.createDirectories(dir.resolve("images"));
        Files.copy(RGB, images.resolve("a.png"));
        Files.copy(GRAY, images.resolve("b.png"));
        byte[] png = Files.readAllBytes(RGB);
        Files.write(images.resolve("c.png"), java.util.Arrays.copyOf(png, png.length / 2));
        Path out = dir.resolve("out");
        MainTest.Run first = predict(out, "--images", images.toString(), "--format", "sartorius");
        assertEquals(1, first.status(), first.err());
        assertTrue(first.err().contains("--resume"), first.err());
        assertTrue(Files.exists(out.resolve(PredictJournal.FILE_NAME)));
        assertUsage(predict(out, "--images", images.toString(), "--format", "sartorius", "--resume", "--score-thresh",
                "0.3"), "is from a run with other settings: score_thresh");
        assertUsage(predict(out, "--images", images.resolve("a.png").toString(), "--format", "sartorius", "--resume"),
                "is from a run with other images");
        Files.copy(RGB, images.resolve("c.png"), java.nio.file.StandardCopyOption.REPLACE_EXISTING); // fixed
        MainTest.Run resumed = predict(out, "--images", images.toString(), "--format", "sartorius", "--resume");
        assertEquals(0, resumed.status(), resumed.err());
        assertTrue(resumed.out().contains("3 images done") && resumed.out().contains("2 images resumed"), resumed.out());
        assertEquals(Set.of("a", "b", "c"), ids(out.resolve("submission_sartorius.csv")));
    }

    // ----- eval

    @Test
    void evalWarnsAboutMissingImagesAndHeaderOnlySubmissions() throws Exception {
        Path gt = MainTest.write(dir, "train.csv", MainTest.TRAIN);
        MainTest.Run partial = MainTest.run("eval", "--metric", "sartorius", "--gt", gt.toString(), "--submission",
                MainTest.write(dir, "s1.csv", "id,predicted\na,1 3\n").toString());
        assertEquals(0, partial.status(), partial.err());
        assertTrue(partial.err().contains("maskrt: warning: " + dir.resolve("s1.csv") + " has no rows for 1 of 2 "
                + "ground-truth images (b)"), partial.err());
        MainTest.Run empty = MainTest.run("eval", "--metric", "sartorius", "--gt", gt.toString(), "--submission",
                MainTest.write(dir, "s2.csv", "id,predicted\n").toString());
        assertEquals(0, empty.status(), empty.err());
        assertTrue(empty.err().contains("has no rows (header only)"), empty.err());
        MainTest.Run complete = MainTest.run("eval", "--metric", "sartorius", "--gt", gt.toString(), "--submission",
                MainTest.write(dir, "s3.csv", MainTest.SUB).toString());
        assertFalse(complete.err().contains("warning"), complete.err());
        MainTest.Run cut = MainTest.run("eval", "--metric", "sartorius", "--gt", gt.toString(), "--submission",
                MainTest.write(dir, "s4.csv", "id,predicted\nb,\na,1 3").toString());
        assertEquals(0, cut.status(), cut.err());
        assertTrue(cut.err().contains("s4.csv: the last line has no line end"), cut.err());
    }

    @Test
    void oddNumberOfRunValuesNamesFileAndLine() throws Exception {
        Path gt = MainTest.write(dir, "train.csv", MainTest.TRAIN);
        Path sub = MainTest.write(dir, "cut.csv", "id,predicted\nb,\na,1 3 5\n");
        MainTest.Run run = MainTest.run("eval", "--metric", "sartorius", "--gt", gt.toString(), "--submission",
                sub.toString());
        assertUsage(run, sub + ": line 3: field 'predicted': odd number of values (3)");
    }

    @Test
    void pythonNanInResultsNamesTheEntryAndField() throws Exception {
        Path gt = MainTest.write(dir, "gt.json", "{\"images\": [{\"id\": 1, \"file_name\": \"a.png\", \"height\": 4,"
                + " \"width\": 4}], \"categories\": [{\"id\": 1, \"name\": \"cell\"}], \"annotations\": []}");
        Path res = MainTest.write(dir, "res.json", "[{\"image_id\": 1, \"category_id\": 1, \"bbox\": [0, 0, 2, 2], "
                + "\"score\": 0.5},\n {\"image_id\": 1, \"category_id\": 1, \"bbox\": [0, 0, 2, 2], \"score\": NaN}]");
        assertUsage(MainTest.run("eval", "--gt", gt.toString(), "--results", res.toString(), "--iou-type", "bbox"),
                res + ": results[1]: field 'score': expected a finite number, got NaN");
        Path broken = MainTest.write(dir, "broken.json", "[{\"image_id\": 1,\n \"score\": 0.5,, }]");
        assertUsage(MainTest.run("eval", "--gt", gt.toString(), "--results", broken.toString(), "--iou-type", "bbox"),
                broken + ": line 2, column ", "results[0]: not valid JSON");
    }

    @Test
    void aCocoJsonGivenAsKaggleGroundTruthIsNamedAsJson() throws Exception {
        Path json = MainTest.write(dir, "annotations.json", "{\"images\": [], \"annotations\": []}");
        Path sub = MainTest.write(dir, "sub.csv", "id,predicted\n");
        assertUsage(MainTest.run("eval", "--metric", "sartorius", "--gt", json.toString(), "--submission", sub.toString()),
                json + ": line 1: this is JSON, not CSV");
    }

    @Test
    void aGroundTruthWithoutCategoriesIsBlamedNotTheResults() throws Exception {
        Path gt = MainTest.write(dir, "gt.json", "{\"images\": [{\"id\": 1, \"file_name\": \"a.png\", \"height\": 4,"
                + " \"width\": 4}], \"annotations\": []}");
        Path res = MainTest.write(dir, "res.json", "[{\"image_id\": 1, \"category_id\": 1, \"bbox\": [0, 0, 2, 2], "
                + "\"score\": 0.5}]");
        assertUsage(MainTest.run("eval", "--gt", gt.toString(), "--results", res.toString(), "--iou-type", "bbox"),
                gt + ": field 'categories': the ground truth has no categories");
    }

    @Test
    void aSartoriusGroundTruthWithoutSizesTakesThemFromTheImages() throws Exception {
        Path images = Files.createDirectories(dir.resolve("images"));
        Files.copy(GRAY, images.resolve("g.png")); // 300 wide, 90 high
        Path gt = MainTest.write(dir, "train.csv", "id,annotation\ng,1 5\n");
        Path sub = MainTest.write(dir, "sub.csv", "id,predicted\ng,1 5\n");
        assertUsage(MainTest.run("eval", "--metric", "sartorius", "--gt", gt.toString(), "--submission", sub.toString()),
                "no size for image 'g'", "--images DIR");
        MainTest.Run ok = MainTest.run("eval", "--metric", "sartorius", "--gt", gt.toString(), "--submission",
                sub.toString(), "--images", images.toString());
        assertEquals(0, ok.status(), ok.err());
        assertTrue(ok.out().contains("score: 1.000000 (1 images)"), ok.out());
    }

    // ----- helpers

    private static Set<String> ids(Path csv) throws IOException {
        List<String> lines = Files.readAllLines(csv);
        Set<String> ids = new java.util.HashSet<>();
        for (String line : lines.subList(1, lines.size())) ids.add(line.substring(0, line.indexOf(',')));
        return ids;
    }

    private static void writeTiff(Path png, Path tif) throws IOException {
        BufferedImage img = ImageIO.read(png.toFile());
        assertTrue(ImageIO.write(img, "tiff", tif.toFile()), "ImageIO writes TIFF");
    }

    /** A PNG whose header declares {@code w x h} gray pixels, with a small valid IDAT: a decompression bomb's header. */
    static byte[] pngHeaderOnly(int w, int h) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        out.write(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'});
        ByteArrayOutputStream ihdr = new ByteArrayOutputStream();
        DataOutputStream d = new DataOutputStream(ihdr);
        d.writeInt(w);
        d.writeInt(h);
        d.write(new byte[] {1, 0, 0, 0, 0}); // 1-bit gray, deflate, no filter, no interlace
        chunk(out, "IHDR", ihdr.toByteArray());
        Deflater deflater = new Deflater();
        deflater.setInput(new byte[4096]);
        deflater.finish();
        byte[] z = new byte[8192];
        int n = deflater.deflate(z);
        chunk(out, "IDAT", java.util.Arrays.copyOf(z, n));
        chunk(out, "IEND", new byte[0]);
        return bytes.toByteArray();
    }

    private static void chunk(DataOutputStream out, String type, byte[] data) throws IOException {
        out.writeInt(data.length);
        byte[] t = type.getBytes(StandardCharsets.US_ASCII);
        out.write(t);
        out.write(data);
        CRC32 crc = new CRC32();
        crc.update(t);
        crc.update(data);
        out.writeInt((int) crc.getValue());
    }
}
