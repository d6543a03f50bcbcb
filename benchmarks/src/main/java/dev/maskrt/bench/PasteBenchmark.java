package dev.maskrt.bench;

import dev.maskrt.ops.cpu.CpuMaskPaster;
import dev.maskrt.util.Workers;
import dev.maskrt.output.CompactMask;
import dev.maskrt.util.Npy;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Mask pasting ({@link CpuMaskPaster}, 2 threads) on the inputs that {@code anchors/paste_detectron2.py} writes and
 * times detectron2's {@code paste_masks_in_image} on: 100 masks of 28×28 into a 1040×1408 or a 520×704 image.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class PasteBenchmark {
    @Param({"paste_100_1040x1408", "paste_100_520x704"})
    public String workload;

    private float[] masks;
    private float[] boxes;
    private int maskHeight, maskWidth, imageHeight, imageWidth;
    private float threshold;
    private Workers workers;
    private CpuMaskPaster paster;

    @Setup(Level.Trial)
    public void load() throws IOException {
        Path dir = Path.of(System.getProperty("maskrt.bench.inputs", "target/inputs"));
        Map<String, Npy.Array> in = Npy.readArchive(dir.resolve(workload + ".npz"));
        int[] shape = in.get("masks").shape();
        maskHeight = shape[1];
        maskWidth = shape[2];
        masks = in.get("masks").asFloats();
        boxes = in.get("boxes").asFloats();
        int[] size = in.get("image_size").asInts();
        imageHeight = size[0];
        imageWidth = size[1];
        threshold = (float) in.get("threshold").scalar();
        workers = new Workers(2);
        paster = new CpuMaskPaster(workers);
    }

    @TearDown(Level.Trial)
    public void close() {
        workers.close();
    }

    @Benchmark
    public CompactMask[] paste() {
        return paster.paste(masks, maskHeight, maskWidth, boxes, imageHeight, imageWidth, threshold);
    }
}
