package dev.maskrt.bench;

import dev.maskrt.ops.FeatureMap;
import dev.maskrt.ops.LevelMapping;
import dev.maskrt.ops.cpu.CpuRoiAlign;
import dev.maskrt.util.Workers;
import dev.maskrt.util.Npy;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Multi-level RoIAlign (detectron2 ROIPooler, ROIAlignV2) over FPN p2..p5 of an 800 x 1344 input, 2 threads, on
 * the inputs written by {@code anchors/roi_align_torchvision.py}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xmx4g"})
public class RoiAlignBenchmark {
    @Param({"roialign_ml_1000x7", "roialign_ml_100x14"})
    public String workload;

    private Workers workers;
    private CpuRoiAlign op;
    private FeatureMap[] levels;
    private float[] rois;
    private int[] batchIndex;
    private int outputSize;
    private int samplingRatio;
    private boolean aligned;

    @Setup(Level.Trial)
    public void load() throws Exception {
        Path dir = Path.of(System.getProperty("maskrt.bench.inputs", "target/inputs"));
        Map<String, Npy.Array> in = Npy.readArchive(dir.resolve(workload + ".npz"));
        levels = new FeatureMap[4];
        for (int k = 0; k < 4; k++) {
            Npy.Array a = in.get("p" + (k + 2));
            int[] s = a.shape();
            levels[k] = new FeatureMap(a.asFloats(), s[0], s[1], s[2], s[3], 0.25f / (1 << k));
        }
        rois = in.get("rois").asFloats();
        batchIndex = in.get("batch_index").asInts();
        outputSize = (int) in.get("output_size").scalar();
        samplingRatio = (int) in.get("sampling_ratio").scalar();
        aligned = in.get("aligned").scalar() != 0;
        workers = new Workers(2);
        op = new CpuRoiAlign(workers);
    }

    @TearDown(Level.Trial)
    public void close() {
        workers.close();
    }

    @Benchmark
    public float[] multiLevel() {
        return op.multiLevel(levels, rois, batchIndex, outputSize, outputSize, samplingRatio, aligned,
                LevelMapping.detectron2());
    }
}
