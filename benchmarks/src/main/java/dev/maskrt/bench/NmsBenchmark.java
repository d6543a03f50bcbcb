package dev.maskrt.bench;

import dev.maskrt.ops.cpu.CpuNms;
import dev.maskrt.util.Workers;
import dev.maskrt.util.Npy;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * maskrt's CPU NMS on the workloads of {@code anchors/nms_torchvision.py} (run that first: it writes the inputs
 * to {@code target/inputs}, or the directory in system property {@code maskrt.bench.inputs}). 2 threads.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 10, time = 1)
@Fork(1)
public class NmsBenchmark {
    @Param({"nms_1000", "nms_4000", "batched_nms_4000"})
    public String workload;

    private Workers workers;
    private CpuNms nms;
    private float[] boxes;
    private float[] scores;
    private int[] groups;
    private double iouThreshold;
    private boolean batched;

    @Setup(Level.Trial)
    public void load() throws IOException {
        Path dir = Path.of(System.getProperty("maskrt.bench.inputs", "target/inputs"));
        Map<String, Npy.Array> in = Npy.readArchive(dir.resolve(workload + ".npz"));
        boxes = in.get("boxes").asFloats();
        scores = in.get("scores").asFloats();
        groups = in.get("groups").asInts();
        iouThreshold = in.get("iou_threshold").scalar();
        batched = workload.startsWith("batched");
        workers = new Workers(2);
        nms = new CpuNms(workers);
    }

    @TearDown(Level.Trial)
    public void close() {
        workers.close();
    }

    @Benchmark
    public int[] run() {
        return batched ? nms.batchedNms(boxes, scores, groups, iouThreshold) : nms.nms(boxes, scores, iouThreshold);
    }
}
