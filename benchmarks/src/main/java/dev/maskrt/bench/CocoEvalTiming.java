package dev.maskrt.bench;

import dev.maskrt.eval.CocoEvaluation;
import dev.maskrt.eval.CocoParams;
import dev.maskrt.eval.CocoSummary;
import dev.maskrt.eval.IouType;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Times {@code CocoEvaluation.evaluate} (load + evaluate + accumulate + summarize) on the {@link SyntheticCoco}
 * workload (5000 images x 100 detections), bbox and segm, 2 threads. Generates the workload first if missing.
 * Prints one JSON line per iouType: median of the timed runs after one warm-up.
 *
 * <p>Run: {@code java -cp target/benchmarks.jar dev.maskrt.bench.CocoEvalTiming [dir] [runs]} from benchmarks/.
 */
public final class CocoEvalTiming {
    private CocoEvalTiming() {}

    public static void main(String[] args) throws Exception {
        String inputs = System.getProperty("maskrt.bench.inputs", "target/inputs");
        Path dir = Path.of(args.length > 0 ? args[0] : inputs + "/coco_synthetic");
        int runs = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        if (!Files.exists(dir.resolve("results.json"))) SyntheticCoco.generate(dir, 5000, 100, 42);
        for (IouType type : IouType.values()) {
            CocoSummary s = CocoEvaluation.evaluate(dir.resolve("gt.json"), dir.resolve("results.json"), type,
                    CocoParams.DEFAULT_MAX_DETS, 2);
            double[] ms = new double[runs];
            for (int r = 0; r < runs; r++) {
                long t0 = System.nanoTime();
                CocoEvaluation.evaluate(dir.resolve("gt.json"), dir.resolve("results.json"), type,
                        CocoParams.DEFAULT_MAX_DETS, 2);
                ms[r] = (System.nanoTime() - t0) / 1e6;
            }
            java.util.Arrays.sort(ms);
            System.out.printf("{\"workload\": \"cocoeval_%s_5000x100\", \"impl\": \"maskrt\", \"ms\": %.0f, \"AP\": %.4f}%n",
                    type.cocoName(), ms[runs / 2], s.stats()[0]);
        }
    }
}
