package dev.maskrt.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.maskrt.config.Backend;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * maskrt on Spark in local mode ({@code local[2]}) on the bundled model and a handful of sample images (three
 * held-out DSB2018 images of three sizes, a LIVECell TIFF and a corrupt PNG): the job's files equal
 * {@code maskrt predict}'s byte for byte, the Dataset API's rows hold the same instances and RLE strings in the same
 * order, the corrupt image is an error row / a named failed file while the others are all present, a re-run over the
 * same output folder is refused unless {@code --overwrite}, and the model is opened once per JVM.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SparkPredictTest {
    static final Path ROOT = Path.of(System.getProperty("maskrt.root", ".."));
    static final Path MODEL = ROOT.resolve("models/dsb2018-cascade-r18");
    static final List<Path> IMAGES = List.of(
            ROOT.resolve("samples/dsb2018-val/images/0ddd8deaf1696db68b00c600601c6a74a0502caaf274222c8367bdc31458ae7e.png"),
            ROOT.resolve("samples/dsb2018-val/images/00ae65c1c6631ae6f2be1a449902976e6eb8483bf6b0740d00530220832c6d3e.png"),
            ROOT.resolve("samples/dsb2018-val/images/4d2cff9a0c8df3a7ef6100fda6f66e865a7670af6a18564767d8019b9ed2fd7b.png"),
            ROOT.resolve("samples/images/livecell-A172_Phase_A7_1_00d00h00m_1.tif"));
    static final String FORMATS = "coco,sartorius,dsb,airbus";

    @TempDir
    static Path tmp;
    static Path images;
    static Path cliOut;
    static Path sparkOut;
    static SparkSession spark;

    @BeforeAll
    static void setUp() throws IOException {
        images = Files.createDirectories(tmp.resolve("images"));
        for (Path p : IMAGES) Files.copy(p, images.resolve(p.getFileName()));
        Files.write(images.resolve("corrupt.png"), "not a PNG at all".getBytes(StandardCharsets.UTF_8));
        spark = SparkSession.builder().master("local[2]").appName("maskrt-spark test")
                .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "2").getOrCreate();
        spark.sparkContext().setLogLevel("WARN");
        cliOut = tmp.resolve("cli");
        sparkOut = tmp.resolve("spark");
        // the reference: maskrt predict on the same images (2 threads; the Spark predictor has 1: results do not
        // depend on the thread count)
        Result cli = run(dev.maskrt.cli.Main.newCommandLine(), "predict", "--model", MODEL.toString(), "--images",
                images.toString(), "--out", cliOut.toString(), "--format", FORMATS, "--threads", "2");
        assertEquals(1, cli.status, cli.err); // the corrupt file fails
    }

    @AfterAll
    static void tearDown() {
        if (spark != null) spark.stop();
    }

    @Test
    @Order(1)
    void jobWritesTheFilesMaskrtPredictWrites() throws IOException {
        Result r = job("--out", sparkOut.toString());
        assertEquals(1, r.status, r.err); // exit 1: an image failed
        assertTrue(r.out.contains("maskrt-spark predict: 4 images done"), r.out);
        assertTrue(r.err.contains("maskrt: failed: " + images.resolve("corrupt.png")), r.err);
        assertEquals(1, r.err.lines().filter(l -> l.startsWith("maskrt: failed:")).count(), r.err);

        Map<String, byte[]> expected = finalFiles(cliOut), got = finalFiles(sparkOut);
        assertEquals(List.of("coco_image_ids.json", "coco_results.json", "submission_airbus.csv", "submission_dsb.csv",
                "submission_sartorius.csv"), new ArrayList<>(expected.keySet()));
        assertEquals(expected.keySet(), got.keySet());
        for (String name : expected.keySet()) {
            assertArrayEquals(expected.get(name), got.get(name), name + " differs from maskrt predict's");
        }
        JsonNode coco = new ObjectMapper().readTree(cliOut.resolve("coco_results.json").toFile());
        assertTrue(coco.size() > 50, "the DSB images have instances: " + coco.size());
    }

    @Test
    @Order(2)
    void aRerunOverTheSameFolderIsRefusedUnlessOverwrite() throws IOException {
        Map<String, byte[]> before = finalFiles(sparkOut);
        assertFalse(before.isEmpty());
        Result refused = job("--out", sparkOut.toString());
        assertEquals(2, refused.status, refused.err);
        assertTrue(refused.err.contains("already holds maskrt outputs") && refused.err.contains("--overwrite"),
                refused.err);
        assertEquals(before.keySet(), finalFiles(sparkOut).keySet());
        for (String name : before.keySet()) assertArrayEquals(before.get(name), finalFiles(sparkOut).get(name), name);

        // --overwrite with a bad option leaves the outputs alone (checked before anything is removed)
        Result bad = job("--out", sparkOut.toString(), "--overwrite", "--score-thresh", "2");
        assertEquals(2, bad.status, bad.err);
        assertEquals(before.keySet(), finalFiles(sparkOut).keySet());

        Files.writeString(sparkOut.resolve("submission_stale.csv"), "id,predicted\n");
        Result again = job("--out", sparkOut.toString(), "--overwrite", "--format", "coco");
        assertEquals(1, again.status, again.err);
        assertEquals(List.of("coco_image_ids.json", "coco_results.json"), new ArrayList<>(finalFiles(sparkOut).keySet()),
                "--overwrite removed the earlier run's outputs");
        assertArrayEquals(finalFiles(cliOut).get("coco_results.json"), finalFiles(sparkOut).get("coco_results.json"));
    }

    @Test
    @Order(3)
    void datasetRowsHoldMaskrtPredictsInstancesAndAnErrorRow() throws IOException {
        int openedBefore = ExecutorPredictors.openedCount();
        Dataset<Row> df = spark.read().format("binaryFile").load(images.toString()).repartition(3);
        MaskrtSparkOptions options = MaskrtSparkOptions.builder(MODEL.toString()).kaggleFormat("dsb").build();
        List<Row> rows = MaskrtSpark.predict(df, options).collectAsList();
        assertEquals(MaskrtSpark.SCHEMA, MaskrtSpark.predict(df, options).schema());

        Map<String, List<Row>> byFile = new TreeMap<>();
        for (Row r : rows) byFile.computeIfAbsent(fileName(r.getString(0)), k -> new ArrayList<>()).add(r);
        assertEquals(List.of("00ae65c1c6631ae6f2be1a449902976e6eb8483bf6b0740d00530220832c6d3e.png",
                "0ddd8deaf1696db68b00c600601c6a74a0502caaf274222c8367bdc31458ae7e.png",
                "4d2cff9a0c8df3a7ef6100fda6f66e865a7670af6a18564767d8019b9ed2fd7b.png", "corrupt.png",
                "livecell-A172_Phase_A7_1_00d00h00m_1.tif"), new ArrayList<>(byFile.keySet()), "every image has rows");

        List<Row> corrupt = byFile.get("corrupt.png");
        assertEquals(1, corrupt.size());
        assertNotNull(corrupt.get(0).getAs("error"));
        assertTrue(corrupt.get(0).<String>getAs("error").contains("corrupt.png"), corrupt.get(0).toString());
        assertNull(corrupt.get(0).getAs("score"));

        // the CLI's outputs, by image
        ObjectMapper json = new ObjectMapper();
        JsonNode ids = json.readTree(cliOut.resolve("coco_image_ids.json").toFile());
        Map<Long, List<JsonNode>> cocoById = new HashMap<>();
        for (JsonNode d : json.readTree(cliOut.resolve("coco_results.json").toFile())) {
            cocoById.computeIfAbsent(d.get("image_id").asLong(), k -> new ArrayList<>()).add(d);
        }
        Map<String, List<String>> dsbRows = new HashMap<>();
        List<String> lines = Files.readAllLines(cliOut.resolve("submission_dsb.csv"));
        for (String line : lines.subList(1, lines.size())) {
            int comma = line.indexOf(',');
            String rle = line.substring(comma + 1);
            List<String> list = dsbRows.computeIfAbsent(line.substring(0, comma), k -> new ArrayList<>());
            if (!rle.isEmpty()) list.add(rle);
        }
        int compared = 0;
        for (Map.Entry<String, List<Row>> e : byFile.entrySet()) {
            if (e.getKey().equals("corrupt.png")) continue;
            List<Row> image = new ArrayList<>(e.getValue());
            image.sort(Comparator.comparing(r -> r.isNullAt(4) ? -1 : r.getInt(4)));
            long cocoId = ids.get(images.resolve(e.getKey()).toString()).asLong();
            List<JsonNode> expected = cocoById.getOrDefault(cocoId, List.of());
            String stem = MaskrtSpark.stem(e.getKey());
            for (Row r : image) assertNull(r.getAs("error"), r.toString());
            if (expected.isEmpty()) {
                assertEquals(1, image.size(), "an image without instances has one row");
                assertTrue(image.get(0).isNullAt(4));
                assertEquals(stem, image.get(0).getAs("image_id"));
                continue;
            }
            assertEquals(expected.size(), image.size(), e.getKey());
            List<String> kaggle = new ArrayList<>();
            for (int k = 0; k < image.size(); k++) {
                Row r = image.get(k);
                JsonNode d = expected.get(k);
                assertEquals(k, r.getInt(4));
                assertEquals(stem, r.getAs("image_id"));
                assertEquals(d.get("segmentation").get("counts").asText(), r.getAs("coco_rle"), e.getKey() + " #" + k);
                assertEquals(d.get("segmentation").get("size").get(0).asInt(), r.<Integer>getAs("height"));
                assertEquals(d.get("segmentation").get("size").get(1).asInt(), r.<Integer>getAs("width"));
                assertEquals(d.get("score").asDouble(), (double) r.<Float>getAs("score"));
                assertEquals(d.get("category_id").asInt(), r.<Integer>getAs("class_id") + 1);
                assertEquals("nucleus", r.getAs("class_name"));
                List<Double> bbox = r.getList(8);
                for (int c = 0; c < 4; c++) assertEquals(d.get("bbox").get(c).asDouble(), bbox.get(c), 0.0);
                if (!r.isNullAt(10)) kaggle.add(r.getString(10));
                compared++;
            }
            assertEquals(dsbRows.get(stem), kaggle, e.getKey() + ": kaggle_rle is the submission's rows");
        }
        assertTrue(compared > 50, "instances compared: " + compared);
        // one predictor for every partition and task of this JVM: the job's earlier runs opened it (same key)
        assertEquals(openedBefore, ExecutorPredictors.openedCount(), "no model re-load per partition");
        assertEquals(1, ExecutorPredictors.openCount());
    }

    @Test
    @Order(4)
    void aZippedPackageIsShippedWithTheJobAndUnzippedOnce() throws IOException {
        Path zip = tmp.resolve("dsb-model.zip");
        try (ZipOutputStream z = new ZipOutputStream(Files.newOutputStream(zip)); Stream<Path> files = Files.list(MODEL)) {
            for (Path f : files.sorted().toList()) {
                z.putNextEntry(new ZipEntry("dsb2018-cascade-r18/" + f.getFileName()));
                Files.copy(f, z);
                z.closeEntry();
            }
        }
        Dataset<Row> df = spark.read().format("binaryFile").load(IMAGES.get(0).toString());
        MaskrtSparkOptions options = MaskrtSparkOptions.builder(zip.toString()).threads(2).build();
        int before = ExecutorPredictors.openedCount();
        List<Row> rows = MaskrtSpark.predict(df, options).collectAsList();
        List<Row> again = MaskrtSpark.predict(df, options).collectAsList();
        assertTrue(rows.size() > 5, "instances: " + rows.size());
        assertEquals(rows, again);
        assertNull(rows.get(0).getAs("error"));
        assertEquals(before + 1, ExecutorPredictors.openedCount(), "one predictor for the zipped package, opened once");
    }

    @Test
    @Order(5)
    void badInputsAndModelsAreNamed() {
        Dataset<Row> noContent = spark.read().format("binaryFile").load(IMAGES.get(0).toString()).select("path");
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> MaskrtSpark.predict(noContent, MaskrtSparkOptions.builder(MODEL.toString()).build()));
        assertTrue(e.getMessage().contains("no column 'content'"), e.getMessage());

        Result missing = job("--out", tmp.resolve("missing-model").toString(), "--model", tmp.resolve("nope").toString());
        assertEquals(2, missing.status, missing.err);
        assertTrue(missing.err.contains("maskrt-spark: error:") && missing.err.contains("nope"), missing.err);

        Result resume = job("--out", tmp.resolve("resume").toString(), "--resume");
        assertEquals(2, resume.status, resume.err);
        assertTrue(resume.err.contains("no journal"), resume.err);
    }

    @Test
    @Order(6)
    void aBoxOnlyModelGivesBoxesWithoutRlesAndNoKaggleFiles() {
        String fasterRcnn = ROOT.resolve("maskrt/src/test/resources/models/tiny-faster-rcnn").toString();
        Dataset<Row> df = spark.read().format("binaryFile").load(IMAGES.get(0).toString());
        List<Row> rows = MaskrtSpark.predict(df, MaskrtSparkOptions.builder(fasterRcnn).build()).collectAsList();
        assertFalse(rows.isEmpty());
        for (Row r : rows) {
            assertNull(r.getAs("error"), r.toString());
            if (r.isNullAt(4)) continue; // no instance
            assertEquals(4, r.getList(8).size());
            assertNull(r.getAs("coco_rle"));
            assertNull(r.getAs("kaggle_rle"));
        }
        Result refused = job("--out", tmp.resolve("box-only").toString(), "--model", fasterRcnn, "--format", "coco,dsb");
        assertEquals(2, refused.status, refused.err);
        assertTrue(refused.err.contains("no mask head"), refused.err);
    }

    @Test
    @Order(7)
    void int8GraphsGiveWhatMaskrtPredictGives() throws IOException {
        String int8 = ROOT.resolve("maskrt/src/test/resources/models/tiny-int8").toString();
        Path cli = tmp.resolve("int8-cli"), job = tmp.resolve("int8-spark");
        Result c = run(dev.maskrt.cli.Main.newCommandLine(), "predict", "--model", int8, "--images", images.toString(),
                "--out", cli.toString(), "--format", "coco,sartorius", "--precision", "int8");
        assertEquals(1, c.status, c.err);
        Result r = job("--out", job.toString(), "--model", int8, "--format", "coco,sartorius", "--precision", "int8");
        assertEquals(1, r.status, r.err);
        Map<String, byte[]> expected = finalFiles(cli), got = finalFiles(job);
        assertEquals(expected.keySet(), got.keySet());
        for (String name : expected.keySet()) assertArrayEquals(expected.get(name), got.get(name), name);
        Result bad = job("--out", tmp.resolve("bad-precision").toString(), "--precision", "fp16");
        assertEquals(2, bad.status, bad.err);
    }

    @Test
    void predictorThreadsDivideTheExecutorsCoresAmongItsTasks() {
        assertEquals(1, Tasks.predictorThreads(spark, 0), "local[2]: two tasks at once, one core each");
        assertEquals(3, Tasks.predictorThreads(spark, 3), "the options' count wins");
        MaskrtSparkOptions o = MaskrtSparkOptions.builder(MODEL.toString()).backend(Backend.CPU).build();
        assertEquals(Backend.CPU, o.predictorOptions(2, DeviceSelection.choose(Backend.CPU, new String[] {"0"}))
                .backend());
    }

    private static Result job(String... extra) {
        List<String> args = new ArrayList<>(List.of("predict", "--model", MODEL.toString(), "--images", images.toString()));
        if (!List.of(extra).contains("--format")) args.addAll(List.of("--format", FORMATS));
        args.addAll(List.of(extra)); // a test's own --model comes later and wins
        CommandLine cl = Main.newCommandLine();
        cl.setOverwrittenOptionsAllowed(true);
        return run(cl, args.toArray(new String[0]));
    }

    private static Result run(CommandLine cl, String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int status = cl.execute(args);
        return new Result(status, out.toString(), err.toString());
    }

    private record Result(int status, String out, String err) {}

    /** The final files of an output folder (not the journal), sorted by name. */
    private static Map<String, byte[]> finalFiles(Path dir) throws IOException {
        Map<String, byte[]> files = new TreeMap<>();
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : s.toList()) {
                String name = p.getFileName().toString();
                if (Files.isRegularFile(p) && !name.equals("predict-journal.jsonl")) files.put(name, Files.readAllBytes(p));
            }
        }
        return files;
    }

    private static String fileName(String uri) {
        return uri.substring(uri.lastIndexOf('/') + 1);
    }
}
