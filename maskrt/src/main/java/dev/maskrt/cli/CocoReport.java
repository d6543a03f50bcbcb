package dev.maskrt.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.maskrt.eval.CocoEvaluation;
import dev.maskrt.eval.CocoSummary;
import dev.maskrt.eval.IouType;
import java.io.PrintWriter;
import java.util.List;
import java.util.Map;

/** The COCO arm of {@code maskrt eval}: runs {@link CocoEvaluation} (which drives the evaluator) and prints its report. */
final class CocoReport {
    /** The twelve pycocotools stats in {@code summarize()} order, as JSON keys. */
    static final List<String> KEYS = List.of("AP", "AP50", "AP75", "APs", "APm", "APl",
            "AR1", "AR10", "AR100", "ARs", "ARm", "ARl");

    private static final ObjectMapper JSON = new ObjectMapper();

    private CocoReport() {}

    static int run(EvalCommand cmd) throws Exception {
        IouType type = cmd.iouType == EvalCommand.IouTypeOption.segm ? IouType.SEGM : IouType.BBOX;
        CocoSummary s = CocoEvaluation.evaluate(cmd.gt, cmd.results, type, cmd.maxDets.clone(), cmd.threads);
        PrintWriter out = cmd.spec.commandLine().getOut();
        if (cmd.json) {
            ObjectNode o = JSON.createObjectNode();
            for (int i = 0; i < KEYS.size(); i++) {
                Double named = s.named().get(KEYS.get(i));
                o.put(KEYS.get(i), named != null ? named : s.stats()[i]);
            }
            if (cmd.perCategory) {
                ObjectNode per = o.putObject("per_category");
                for (Map.Entry<Integer, Double> e : s.perCategoryAp().entrySet()) per.put(String.valueOf(e.getKey()), e.getValue());
            }
            out.println(JSON.writeValueAsString(o));
        } else {
            String table = s.table();
            out.print(table.endsWith("\n") ? table : table + "\n");
            if (cmd.perCategory) {
                for (Map.Entry<Integer, Double> e : s.perCategoryAp().entrySet()) {
                    out.println("category " + e.getKey() + ": AP " + EvalCommand.fmt(e.getValue()));
                }
            }
        }
        out.flush();
        return 0;
    }
}
