package dev.maskrt.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.maskrt.eval.SartoriusMetric;
import dev.maskrt.eval.SartoriusScore;
import dev.maskrt.ops.cpu.Workers;
import dev.maskrt.output.PixelOrder;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code maskrt eval}: COCO AP/AR of a results JSON against a ground-truth JSON (pycocotools-exact), or the
 * Sartorius / DSB 2018 score of a Kaggle submission CSV against a {@code train.csv}.
 */
@Command(name = "eval", mixinStandardHelpOptions = true,
        description = {"Evaluate detections.",
            "COCO:      maskrt eval --gt GT.json --results RES.json --iou-type segm|bbox [--max-dets 1,10,100] [--json] [--per-category]",
            "Sartorius: maskrt eval --metric sartorius --gt train.csv --submission submission.csv [--json] [--per-image]"})
final class EvalCommand implements Callable<Integer> {
    enum Metric { coco, sartorius }

    enum IouTypeOption { segm, bbox }

    @Option(names = "--metric", defaultValue = "coco", description = "coco (default) or sartorius.")
    Metric metric;

    @Option(names = "--gt", required = true, paramLabel = "FILE",
            description = "Ground truth: COCO JSON, or Kaggle train.csv for --metric sartorius.")
    Path gt;

    @Option(names = "--results", paramLabel = "FILE", description = "COCO results JSON (--metric coco).")
    Path results;

    @Option(names = "--iou-type", paramLabel = "segm|bbox", description = "COCO IoU type (--metric coco).")
    IouTypeOption iouType;

    @Option(names = "--max-dets", split = ",", paramLabel = "N", defaultValue = "1,10,100",
            description = "COCO maxDets, three values (default 1,10,100).")
    int[] maxDets;

    @Option(names = "--per-category", description = "Also print each category's AP (COCO).")
    boolean perCategory;

    @Option(names = "--submission", paramLabel = "FILE", description = "Kaggle submission CSV (--metric sartorius).")
    Path submission;

    @Option(names = "--per-image", description = "Also print each image's score (Sartorius).")
    boolean perImage;

    @Option(names = "--threads", defaultValue = "0", paramLabel = "N",
            description = "Worker threads (default: all cores).")
    int threads;

    @Option(names = "--json", description = "Print one JSON object instead of text.")
    boolean json;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    private static final ObjectMapper JSON = new ObjectMapper();

    @Override
    public Integer call() throws Exception {
        return metric == Metric.sartorius ? sartorius() : coco();
    }

    private int sartorius() throws Exception {
        require(submission != null, "--metric sartorius needs --submission FILE");
        forbid(results != null, "--results"); forbid(iouType != null, "--iou-type"); forbid(perCategory, "--per-category");
        if (threads < 0) throw usage("--threads must be >= 0, got " + threads);
        SartoriusScore s;
        try (Workers w = threads == 0 ? Workers.allCores() : new Workers(threads)) {
            s = SartoriusMetric.evaluate(gt, submission, Map.of(), PixelOrder.ROW_MAJOR, w);
        }
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            ObjectNode o = JSON.createObjectNode();
            o.put("score", s.score());
            if (perImage) {
                ObjectNode per = o.putObject("per_image");
                s.perImage().forEach(per::put);
            }
            out.println(JSON.writeValueAsString(o));
        } else {
            if (perImage) s.perImage().forEach((id, v) -> out.println(id + "\t" + fmt(v)));
            out.println("score: " + fmt(s.score()) + " (" + s.perImage().size() + " images)");
        }
        out.flush();
        return 0;
    }

    private int coco() throws Exception {
        require(results != null, "--metric coco needs --results FILE");
        require(iouType != null, "--metric coco needs --iou-type segm|bbox");
        forbid(submission != null, "--submission"); forbid(perImage, "--per-image");
        if (threads < 0) throw usage("--threads must be >= 0, got " + threads);
        if (maxDets.length != 3) throw usage("--max-dets needs three values (like 1,10,100), got " + maxDets.length);
        for (int d : maxDets) if (d < 1) throw usage("--max-dets values must be >= 1, got " + d);
        return CocoEval.run(this);
    }

    static String fmt(double v) {
        return String.format(Locale.ROOT, "%.6f", v);
    }

    private void require(boolean ok, String message) {
        if (!ok) throw usage(message);
    }

    private void forbid(boolean given, String option) {
        if (given) throw usage(option + " does not apply to --metric " + metric);
    }

    private CommandLine.ParameterException usage(String message) {
        return new CommandLine.ParameterException(spec.commandLine(), message);
    }
}
