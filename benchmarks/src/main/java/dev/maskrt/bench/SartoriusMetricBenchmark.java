package dev.maskrt.bench;

import dev.maskrt.eval.SartoriusMetric;
import dev.maskrt.eval.SartoriusScore;
import dev.maskrt.output.PixelOrder;
import dev.maskrt.util.Npy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.*;

/**
 * Scores a Kaggle submission CSV against a train.csv (reading, RLE parsing and the metric) with 2 threads; the
 * files come from {@code anchors/sartorius_metric.py}, which times the numpy Kaggle-kernel metric on them.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@State(Scope.Benchmark)
public class SartoriusMetricBenchmark {
    @Param({"sartorius_100img_150cells"})
    public String workload;

    private Path train;
    private Path submission;

    @Setup
    public void setup() throws Exception {
        Path dir = Path.of(System.getProperty("maskrt.bench.inputs", "target/inputs"));
        Map<String, Npy.Array> in = Npy.readArchive(dir.resolve(workload + ".npz"));
        Path tmp = Files.createTempDirectory("maskrt-bench");
        train = Files.write(tmp.resolve("train.csv"), in.get("train_csv").asBytes());
        submission = Files.write(tmp.resolve("submission.csv"), in.get("submission_csv").asBytes());
        SartoriusScore s = SartoriusMetric.evaluate(train, submission, Map.of(), PixelOrder.ROW_MAJOR, 2);
        System.out.println("# " + workload + " score " + s.score() + " over " + s.perImage().size() + " images");
    }

    @TearDown
    public void tearDown() throws Exception {
        Files.deleteIfExists(train);
        Files.deleteIfExists(submission);
        Files.deleteIfExists(train.getParent());
    }

    @Benchmark
    public double score() throws Exception {
        return SartoriusMetric.evaluate(train, submission, Map.of(), PixelOrder.ROW_MAJOR, 2).score();
    }
}
