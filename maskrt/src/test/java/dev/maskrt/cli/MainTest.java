package dev.maskrt.cli;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class MainTest {
    /** Exit status, stdout and stderr of one in-process run. */
    record Run(int status, String out, String err) {}

    static Run run(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        CommandLine cl = Main.newCommandLine();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int status = cl.execute(args);
        return new Run(status, out.toString(), err.toString());
    }

    static Path write(Path dir, String name, String text) throws Exception {
        Path p = dir.resolve(name);
        Files.writeString(p, text);
        return p;
    }

    // 2x4 image: GT a = pixels 1..3 and 5..6 (two objects); the submission finds the first exactly and misses the
    // second: TP 1, FN 1 at every threshold -> 0.5. Image b has no objects and no predictions -> 1. Mean 0.75.
    static final String TRAIN = "id,annotation,width,height,cell_type\na,1 3,4,2,astro\na,5 2,4,2,astro\nb,,4,2,astro\n";
    static final String SUB = "id,predicted\na,1 3\nb,\n";

    @Test
    void sartoriusTextAndJson(@TempDir Path dir) throws Exception {
        Path gt = write(dir, "train.csv", TRAIN), sub = write(dir, "sub.csv", SUB);
        Run text = run("eval", "--metric", "sartorius", "--gt", gt.toString(), "--submission", sub.toString(), "--per-image");
        assertEquals(0, text.status, text.err);
        assertEquals("a\t0.500000\nb\t1.000000\nscore: 0.750000 (2 images)\n", text.out.replace("\r", ""));
        Run json = run("eval", "--metric", "sartorius", "--gt", gt.toString(), "--submission", sub.toString(),
                "--json", "--threads", "2");
        assertEquals(0, json.status, json.err);
        JsonNode o = new ObjectMapper().readTree(json.out);
        assertEquals(0.75, o.get("score").asDouble());
        assertNull(o.get("per_image"));
        Run perImage = run("eval", "--metric", "sartorius", "--gt", gt.toString(), "--submission", sub.toString(),
                "--json", "--per-image");
        JsonNode p = new ObjectMapper().readTree(perImage.out);
        assertEquals(0.5, p.get("per_image").get("a").asDouble());
        assertEquals(1.0, p.get("per_image").get("b").asDouble());
    }

    /**
     * {@code --metric dsb} on the committed held-out split against a perturbed submission, scored by the DSB 2018
     * example kernel's rules in tools/reference/make_dsb_goldens.py (column-major runs, sizes from the images).
     */
    @Test
    void dsbMatchesTheKernelReference(@TempDir Path dir) throws Exception {
        Path gt = Path.of("../samples/dsb2018-val/labels.csv");
        Path sub = Path.of("src/test/resources/kaggle/dsb_submission.csv");
        JsonNode expected = new ObjectMapper().readTree(Path.of("src/test/resources/kaggle/dsb_scores.json").toFile());
        Run run = run("eval", "--metric", "dsb", "--gt", gt.toString(), "--submission", sub.toString(),
                "--images", "../samples/dsb2018-val/images", "--json", "--per-image", "--threads", "2");
        assertEquals(0, run.status, run.err);
        JsonNode got = new ObjectMapper().readTree(run.out);
        assertEquals(66, got.get("per_image").size());
        expected.get("per_image").fields().forEachRemaining(e -> assertEquals(e.getValue().asDouble(),
                got.get("per_image").get(e.getKey()).asDouble(), 1e-12, e.getKey()));
        assertEquals(expected.get("score").asDouble(), got.get("score").asDouble(), 1e-12);

        Run noSizes = run("eval", "--metric", "dsb", "--gt", gt.toString(), "--submission", sub.toString());
        assertEquals(2, noSizes.status);
        assertTrue(noSizes.err.contains("labels.csv") && noSizes.err.contains("--images DIR"), noSizes.err);

        // the stage-1 solution's layout: Height/Width columns instead of image files
        String first = expected.get("per_image").fieldNames().next();
        StringBuilder withSizes = new StringBuilder("ImageId,EncodedPixels,Height,Width\n");
        for (String line : Files.readAllLines(gt)) {
            if (line.startsWith(first)) withSizes.append(line).append(",256,256\n");
        }
        Path gt2 = write(dir, "solution.csv", withSizes.toString());
        StringBuilder sub2 = new StringBuilder("ImageId,EncodedPixels\n");
        for (String line : Files.readAllLines(sub)) if (line.startsWith(first)) sub2.append(line).append('\n');
        Run sized = run("eval", "--metric", "dsb", "--gt", gt2.toString(), "--submission",
                write(dir, "sub2.csv", sub2.toString()).toString(), "--json");
        assertEquals(0, sized.status, sized.err);
        assertEquals(expected.get("per_image").get(first).asDouble(),
                new ObjectMapper().readTree(sized.out).get("score").asDouble(), 1e-12);
    }

    @Test
    void badFilesGiveOneLineErrorsAndStatus2(@TempDir Path dir) throws Exception {
        Path gt = write(dir, "train.csv", TRAIN);
        Run unknown = run("eval", "--metric", "sartorius", "--gt", gt.toString(), "--submission",
                write(dir, "s1.csv", "id,predicted\nzz,1 1\n").toString());
        assertEquals(2, unknown.status);
        assertEquals("maskrt: error: " + dir.resolve("s1.csv") + ": line 2: field 'id': unknown image id 'zz' (not in "
                + gt + ")\n", unknown.err.replace("\r", ""));
        assertEquals("", unknown.out);

        Run tooBig = run("eval", "--metric", "sartorius", "--gt", gt.toString(), "--submission",
                write(dir, "s2.csv", "id,predicted\na,7 3\n").toString());
        assertEquals(2, tooBig.status);
        assertTrue(tooBig.err.startsWith("maskrt: error: " + dir.resolve("s2.csv") + ": line 2: field 'predicted': run 1: "),
                tooBig.err);
        assertEquals(1, tooBig.err.strip().lines().count(), tooBig.err);

        Run missing = run("eval", "--metric", "sartorius", "--gt", dir.resolve("nope.csv").toString(), "--submission",
                dir.resolve("s1.csv").toString());
        assertEquals(2, missing.status);
        assertEquals("maskrt: error: " + dir.resolve("nope.csv") + ": no such file\n", missing.err.replace("\r", ""));

        Run verbose = run("eval", "--verbose", "--metric", "sartorius", "--gt", gt.toString(), "--submission",
                dir.resolve("s1.csv").toString());
        assertEquals(2, verbose.status);
        assertTrue(verbose.err.lines().count() > 3, "a stack trace with --verbose");
        assertTrue(verbose.err.contains("InputFormatException"));
    }

    @Test
    void usageErrorsGiveStatus2(@TempDir Path dir) throws Exception {
        Path gt = write(dir, "train.csv", TRAIN);
        Run noSub = run("eval", "--metric", "sartorius", "--gt", gt.toString());
        assertEquals(2, noSub.status);
        assertTrue(noSub.err.contains("--metric sartorius needs --submission FILE"), noSub.err);
        Run noGt = run("eval", "--metric", "sartorius");
        assertEquals(2, noGt.status);
        assertTrue(noGt.err.contains("Missing required option: '--gt=FILE'"), noGt.err);
        Run badMetric = run("eval", "--metric", "f1", "--gt", gt.toString());
        assertEquals(2, badMetric.status);
        Run unknownOption = run("eval", "--frobnicate");
        assertEquals(2, unknownOption.status);
        Run noSubcommand = run();
        assertEquals(2, noSubcommand.status);
        assertTrue(noSubcommand.err.contains("missing subcommand"), noSubcommand.err);
        Run mixed = run("eval", "--metric", "sartorius", "--gt", gt.toString(), "--submission", gt.toString(),
                "--iou-type", "segm");
        assertEquals(2, mixed.status);
        assertTrue(mixed.err.contains("--iou-type does not apply to --metric sartorius"), mixed.err);
        Run help = run("eval", "--help");
        assertEquals(0, help.status);
        assertTrue(help.out.contains("--submission"));
    }
}
