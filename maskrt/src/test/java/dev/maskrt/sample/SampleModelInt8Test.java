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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Opt-in: the int8 graphs of the bundled sample model keep its held-out accuracy within issue 13's target (segm AP
 * drop at most 0.01; the DSB metric held to the same bound). The int8 graphs are not committed (benchmarks/RESULTS.md);
 * make them and point the test at the package (from the project root; the test runs in maskrt/):
 *
 * <pre>
 * python3 -m tools.quantize --model models/dsb2018-cascade-r18 --calibration-images ../shared/data/dsb2018-stage1-train/images \
 *     --exclude-ids samples/dsb2018-val/image_ids.txt --count 32 --out benchmarks/target/models/dsb2018-cascade-r18-int8
 * mvn -B -ntp test -pl maskrt -Dtest=SampleModelInt8Test -Dmaskrt.int8.package=$PWD/benchmarks/target/models/dsb2018-cascade-r18-int8
 * </pre>
 *
 * Measured with that command: segm AP 0.453, DSB metric 0.486 (fp32: 0.454, 0.483).
 */
@EnabledIfSystemProperty(named = "maskrt.int8.package", matches = ".+")
class SampleModelInt8Test {
    static final Path VAL = SampleModelRegressionTest.VAL;
    static final double TARGET_DROP = 0.01;

    @TempDir
    Path out;

    @Test
    void int8HoldsTheHeldOutFiguresWithinTheTarget() throws Exception {
        String pkg = System.getProperty("maskrt.int8.package");
        Run predict = run("predict", "--model", pkg, "--precision", "int8", "--images",
                VAL.resolve("images").toString(), "--out", out.toString(), "--format", "coco,dsb", "--coco-gt",
                VAL.resolve("annotations.json").toString());
        assertEquals(0, predict.status, "maskrt predict failed:\n" + predict.out + predict.err);
        CocoSummary segm = CocoEvaluation.evaluate(VAL.resolve("annotations.json"), out.resolve("coco_results.json"),
                IouType.SEGM, SampleModelRegressionTest.MAX_DETS);
        Run eval = run("eval", "--metric", "dsb", "--gt", VAL.resolve("labels.csv").toString(), "--submission",
                out.resolve("submission_dsb.csv").toString(), "--images", VAL.resolve("images").toString(), "--json");
        assertEquals(0, eval.status, "maskrt eval failed:\n" + eval.out + eval.err);
        double dsb = new ObjectMapper().readTree(eval.out).get("score").asDouble();
        double ap = segm.named().get("AP");
        System.out.printf("int8 held-out: segm AP %.4f, DSB metric %.4f%n", ap, dsb);
        assertTrue(ap >= SampleModelRegressionTest.SEGM_AP - TARGET_DROP, "int8 segm AP " + ap);
        assertTrue(dsb >= SampleModelRegressionTest.DSB - TARGET_DROP, "int8 DSB metric " + dsb);
    }

    record Run(int status, String out, String err) {}

    private static Run run(String... args) {
        StringWriter stdout = new StringWriter(), stderr = new StringWriter();
        CommandLine cl = Main.newCommandLine();
        cl.setOut(new PrintWriter(stdout));
        cl.setErr(new PrintWriter(stderr));
        int status = cl.execute(args);
        return new Run(status, stdout.toString(), stderr.toString());
    }
}
