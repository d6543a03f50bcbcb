package dev.maskrt.sample;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.maskrt.cli.Main;
import dev.maskrt.eval.CocoEvaluation;
import dev.maskrt.eval.CocoSummary;
import dev.maskrt.eval.IouType;
import dev.maskrt.eval.SartoriusMetric;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Guards the figures reported for the bundled sample model (models/synthcells-cascade-r18/README.md): the whole
 * main job — {@code maskrt predict} on the committed synthetic val split, then COCO evaluation and the Sartorius
 * metric of what it wrote — must still reach them, less a small margin. A change that degrades the pipeline,
 * the writers or the metrics on a real trained model fails here.
 */
class SampleModelRegressionTest {
    static final Path MODEL = Path.of("models/synthcells-cascade-r18");
    static final Path VAL = Path.of("samples/synthcells-val");
    static final int[] MAX_DETS = {100, 300, 1000};
    /** Below the reported figures by this much fails (predictions are deterministic; the margin is for intent). */
    static final double MARGIN = 0.005;

    // The figures of models/synthcells-cascade-r18/README.md, as maskrt eval prints them.
    static final double SEGM_AP = 0.350, SEGM_AP50 = 0.522, BBOX_AP = 0.378, SARTORIUS = 0.351;

    @TempDir
    static Path out;

    @BeforeAll
    static void predict() {
        StringWriter stdout = new StringWriter(), stderr = new StringWriter();
        CommandLine cl = Main.newCommandLine();
        cl.setOut(new PrintWriter(stdout));
        cl.setErr(new PrintWriter(stderr));
        int status = cl.execute("predict", "--model", MODEL.toString(), "--images", VAL.resolve("images").toString(),
                "--out", out.toString(), "--format", "coco,sartorius", "--coco-gt", VAL.resolve("annotations.json").toString());
        assertEquals(0, status, "maskrt predict failed:\n" + stdout + stderr);
    }

    @Test
    void segmAndBboxApHoldTheReportedFigures() throws Exception {
        CocoSummary segm = CocoEvaluation.evaluate(VAL.resolve("annotations.json"), out.resolve("coco_results.json"),
                IouType.SEGM, MAX_DETS);
        CocoSummary bbox = CocoEvaluation.evaluate(VAL.resolve("annotations.json"), out.resolve("coco_results.json"),
                IouType.BBOX, MAX_DETS);
        assertAtLeast("segm AP", SEGM_AP, segm.named().get("AP"));
        assertAtLeast("segm AP50", SEGM_AP50, segm.named().get("AP50"));
        assertAtLeast("bbox AP", BBOX_AP, bbox.named().get("AP"));
    }

    @Test
    void sartoriusMetricHoldsTheReportedFigure() throws Exception {
        double score = SartoriusMetric.evaluate(VAL.resolve("train.csv"), out.resolve("submission_sartorius.csv")).score();
        assertAtLeast("Sartorius metric", SARTORIUS, score);
    }

    private static void assertAtLeast(String what, double reported, double measured) {
        assertTrue(measured >= reported - MARGIN,
                what + " fell to " + measured + " (reported " + reported + ", margin " + MARGIN + ")");
    }
}
