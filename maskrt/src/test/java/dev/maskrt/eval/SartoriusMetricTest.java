package dev.maskrt.eval;

import static org.junit.jupiter.api.Assertions.*;

import dev.maskrt.util.Workers;
import dev.maskrt.output.CompactMask;
import dev.maskrt.output.ImageInstances;
import dev.maskrt.output.Instance;
import dev.maskrt.output.KaggleRle;
import dev.maskrt.output.KaggleSubmissionWriter;
import dev.maskrt.output.PixelOrder;
import dev.maskrt.error.InputFormatException;
import dev.maskrt.util.Npy;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SartoriusMetricTest {
    static final int H = 10, W = 40;

    /** A mask of row {@code row}, columns [x0, x1). */
    static CompactMask bar(int row, int x0, int x1) {
        byte[] bits = new byte[x1 - x0];
        java.util.Arrays.fill(bits, (byte) 1);
        return new CompactMask(H, W, x0, row, x1 - x0, 1, bits);
    }

    @Test
    void perfectPredictionScoresOne() {
        List<CompactMask> gt = List.of(bar(1, 0, 10), bar(3, 5, 30));
        assertEquals(1.0, SartoriusMetric.imageScore(gt, List.of(bar(3, 5, 30), bar(1, 0, 10))));
    }

    @Test
    void oneFalsePositiveAndOneMissed() {
        List<CompactMask> gt = List.of(bar(1, 0, 10), bar(3, 5, 30));
        // extra prediction: every threshold has TP 2, FP 1, FN 0 -> 2/3
        assertEquals(2.0 / 3, SartoriusMetric.imageScore(gt, List.of(bar(1, 0, 10), bar(3, 5, 30), bar(6, 0, 4))), 1e-15);
        // one object missed: TP 1, FP 0, FN 1 -> 1/2
        assertEquals(0.5, SartoriusMetric.imageScore(gt, List.of(bar(3, 5, 30))), 1e-15);
    }

    @Test
    void iouExactlyAtAThresholdDoesNotMatch() {
        // GT 20 pixels, prediction its first 15: IoU = 15/20 = 0.75 exactly. It matches at 0.50, 0.55, 0.60, 0.65
        // and 0.70 (TP 1 -> 1) but not at 0.75 .. 0.95 (TP 0, FP 1, FN 1 -> 0): score 5/10.
        assertEquals(0.5, SartoriusMetric.imageScore(List.of(bar(2, 0, 20)), List.of(bar(2, 0, 15))), 1e-15);
        // IoU 10/20 = 0.5 exactly: no threshold matches
        assertEquals(0.0, SartoriusMetric.imageScore(List.of(bar(2, 0, 20)), List.of(bar(2, 0, 10))));
        // IoU 11/20 = 0.55: matches only at 0.50 -> TP 1 of 10 thresholds
        assertEquals(0.1, SartoriusMetric.imageScore(List.of(bar(2, 0, 20)), List.of(bar(2, 0, 11))), 1e-15);
    }

    @Test
    void duplicatePredictionIsAFalsePositive() {
        // TP 1, FP 1 at every threshold -> 1/2
        assertEquals(0.5, SartoriusMetric.imageScore(List.of(bar(2, 0, 20)), List.of(bar(2, 0, 20), bar(2, 0, 20))), 1e-15);
    }

    @Test
    void emptyImages() {
        assertEquals(1.0, SartoriusMetric.imageScore(List.of(), List.of()));
        assertEquals(0.0, SartoriusMetric.imageScore(List.of(bar(0, 0, 3)), List.of()));
        assertEquals(0.0, SartoriusMetric.imageScore(List.of(), List.of(bar(0, 0, 3))));
    }

    @Test
    void matchesNumpyReferenceOnGoldenFiles() throws Exception {
        Path train = resource("metric_train.csv"), sub = resource("metric_submission.csv");
        double[] expected;
        try (InputStream in = getClass().getResourceAsStream("/kaggle/metric_scores.npz")) {
            expected = Npy.readArchive(in, "metric_scores.npz").get("scores").asDoubles();
        }
        SartoriusScore one = SartoriusMetric.evaluate(train, sub);
        assertEquals(expected.length, one.perImage().size());
        double[] got = one.perImage().values().stream().mapToDouble(Double::doubleValue).toArray();
        assertArrayEquals(expected, got, 1e-12);
        double mean = 0;
        for (double e : expected) mean += e / expected.length;
        assertEquals(mean, one.score(), 1e-12);
        for (int threads : new int[] {2, 3}) {
            try (Workers w = new Workers(threads)) {
                SartoriusScore s = SartoriusMetric.evaluate(train, sub, Map.of(), PixelOrder.ROW_MAJOR, w);
                assertEquals(one, s, "threads " + threads);
            }
        }
    }

    @Test
    void roundTripFromTheSameMasksScoresOne(@TempDir Path dir) throws Exception {
        Random rnd = new Random(7);
        int h = 30, w = 50;
        StringBuilder train = new StringBuilder("id,annotation,width,height,cell_type\n");
        Path sub = dir.resolve("submission.csv");
        try (KaggleSubmissionWriter out = KaggleSubmissionWriter.sartorius(Files.newBufferedWriter(sub), 1)) {
            for (int img = 0; img < 5; img++) {
                List<Instance> instances = new ArrayList<>();
                byte[] taken = new byte[h * w];
                for (int k = 0; k < 6; k++) {  // disjoint rectangles, so the writer keeps every pixel
                    int x = rnd.nextInt(w - 6), y = rnd.nextInt(h - 6), bw = 1 + rnd.nextInt(5), bh = 1 + rnd.nextInt(5);
                    byte[] full = new byte[h * w];
                    boolean clash = false;
                    for (int r = y; r < y + bh; r++) for (int c = x; c < x + bw; c++) clash |= taken[r * w + c] != 0;
                    if (clash) continue;
                    for (int r = y; r < y + bh; r++) for (int c = x; c < x + bw; c++) { full[r * w + c] = 1; taken[r * w + c] = 1; }
                    CompactMask m = CompactMask.fromFullBitmap(full, h, w);
                    instances.add(new Instance(0, "cell", rnd.nextFloat(), x, y, x + bw, y + bh, m));
                    train.append("im").append(img).append(',').append(KaggleRle.encode(m, PixelOrder.ROW_MAJOR))
                            .append(',').append(w).append(',').append(h).append(",astro\n");
                }
                out.write(new ImageInstances("im" + img, h, w, instances));
            }
        }
        Path gt = dir.resolve("train.csv");
        Files.writeString(gt, train);
        SartoriusScore s = SartoriusMetric.evaluate(gt, sub);
        assertEquals(5, s.perImage().size());
        assertEquals(1.0, s.score());
    }

    @Test
    void sizesMayComeFromOutsideTheCsv(@TempDir Path dir) throws Exception {
        Path gt = dir.resolve("gt.csv"), sub = dir.resolve("sub.csv");
        Files.writeString(gt, "ImageId,EncodedPixels\na,1 3\n");
        Files.writeString(sub, "ImageId,EncodedPixels\na,1 3\n");
        try (Workers w = new Workers(1)) {
            assertEquals(1.0, SartoriusMetric.evaluate(gt, sub,
                    Map.of("a", new SartoriusMetric.ImageSize(2, 2)), PixelOrder.COLUMN_MAJOR, w).score());
            InputFormatException e = assertThrows(InputFormatException.class,
                    () -> SartoriusMetric.evaluate(gt, sub, Map.of(), PixelOrder.COLUMN_MAJOR, w));
            assertTrue(e.getMessage().contains("no size for image 'a'"), e.getMessage());
        }
    }

    @Test
    void malformedFilesNameFileLineAndField(@TempDir Path dir) throws Exception {
        Path gt = dir.resolve("train.csv");
        Files.writeString(gt, "id,annotation,width,height\na,1 3,4,2\na,5 2,4,2\nb,,4,2\n");
        assertError(gt, write(dir, "unknown.csv", "id,predicted\na,1 3\nzzz,1 1\n"),
                "unknown.csv: line 3: field 'id': unknown image id 'zzz'");
        assertError(gt, write(dir, "odd.csv", "id,predicted\na,1 3\nb,1 2 3\n"),
                "odd.csv: line 3: field 'predicted': odd number of values");
        assertError(gt, write(dir, "big.csv", "id,predicted\nb,7 3\n"),
                "big.csv: line 2: field 'predicted': run 1: pixels 7..9 go past the image's 8 pixels");
        assertError(gt, write(dir, "header.csv", "image,rle\n"), "header.csv: line 1: header has no column id or ImageId");
        assertError(gt, write(dir, "fields.csv", "id,predicted\na,1 1,extra\n"), "fields.csv: line 2: has 3 fields");
        Path badGt = write(dir, "badgt.csv", "id,annotation,width,height\na,1 3,4,2\na,1 3,5,2\n");
        assertError(badGt, write(dir, "ok.csv", "id,predicted\n"), "badgt.csv: line 3: field 'width/height'");
        Path badW = write(dir, "badw.csv", "id,annotation,width,height\na,1 3,x,2\n");
        assertError(badW, write(dir, "ok2.csv", "id,predicted\n"), "badw.csv: line 2: field 'width': 'x' is not a positive integer");
        // a missing image in the submission counts as no predictions; b has no objects and none predicted
        SartoriusScore s = SartoriusMetric.evaluate(gt, write(dir, "partial.csv", "id,predicted\n"));
        assertEquals(Map.of("a", 0.0, "b", 1.0), s.perImage());
    }

    private static Path write(Path dir, String name, String text) throws Exception {
        Path p = dir.resolve(name);
        Files.writeString(p, text);
        return p;
    }

    private static void assertError(Path gt, Path sub, String expected) {
        InputFormatException e = assertThrows(InputFormatException.class, () -> SartoriusMetric.evaluate(gt, sub));
        assertTrue(e.getMessage().contains(expected), () -> "'" + e.getMessage() + "' lacks '" + expected + "'");
        assertFalse(e.getMessage().contains("\n"));
    }

    private Path resource(String name) throws Exception {
        return Path.of(getClass().getResource("/kaggle/" + name).toURI());
    }
}
