package dev.maskrt.sample;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.maskrt.cli.Main;
import dev.maskrt.eval.CocoEvaluation;
import dev.maskrt.eval.CocoSummary;
import dev.maskrt.eval.IouType;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Guards the held-out figures reported for the bundled sample model (models/dsb2018-cascade-r18/README.md): the
 * whole main job — {@code maskrt predict} on the committed DSB2018 held-out split (66 images never trained on),
 * then COCO evaluation and the DSB 2018 metric of what it wrote — must still reach them, less a small margin. A
 * change that degrades the pipeline, the writers or the metrics on a real trained model fails here.
 */
class SampleModelRegressionTest {
    static final Path MODEL = Path.of("../models/dsb2018-cascade-r18");
    static final Path VAL = Path.of("../samples/dsb2018-val");
    static final int[] MAX_DETS = {100, 300, 1000};
    /** Below the reported figures by this much fails (predictions are deterministic; the margin is for intent). */
    static final double MARGIN = 0.005;

    // The held-out figures of models/dsb2018-cascade-r18/README.md, as maskrt eval prints them.
    static final double SEGM_AP = 0.454, SEGM_AP50 = 0.678, BBOX_AP = 0.455, DSB = 0.482;

    @TempDir
    static Path out;

    @BeforeAll
    static void predict() {
        Run predict = run("predict", "--model", MODEL.toString(), "--images", VAL.resolve("images").toString(),
                "--out", out.toString(), "--format", "coco,dsb", "--coco-gt", VAL.resolve("annotations.json").toString());
        assertEquals(0, predict.status, "maskrt predict failed:\n" + predict.out + predict.err);
    }

    record Run(int status, String out, String err) {}

    /** One in-process run of the maskrt command line. */
    private static Run run(String... args) {
        StringWriter stdout = new StringWriter(), stderr = new StringWriter();
        CommandLine cl = Main.newCommandLine();
        cl.setOut(new PrintWriter(stdout));
        cl.setErr(new PrintWriter(stderr));
        int status = cl.execute(args);
        return new Run(status, stdout.toString(), stderr.toString());
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
    void dsbMetricHoldsTheReportedFigure() throws Exception {
        // as the main job scores it: maskrt eval, image sizes from the image files
        Run eval = run("eval", "--metric", "dsb", "--gt", VAL.resolve("labels.csv").toString(), "--submission",
                out.resolve("submission_dsb.csv").toString(), "--images", VAL.resolve("images").toString(), "--json");
        assertEquals(0, eval.status, "maskrt eval failed:\n" + eval.out + eval.err);
        assertAtLeast("DSB 2018 metric", DSB, new ObjectMapper().readTree(eval.out).get("score").asDouble());
    }

    private static void assertAtLeast(String what, double reported, double measured) {
        assertTrue(measured >= reported - MARGIN,
                what + " fell to " + measured + " (reported " + reported + ", margin " + MARGIN + ")");
    }
}
