package dev.maskrt.bench;

import dev.maskrt.image.ChannelFormat;
import dev.maskrt.image.DecodedImage;
import dev.maskrt.image.PreprocessedBatch;
import dev.maskrt.image.Preprocessor;
import dev.maskrt.image.ResizeShortestEdge;
import dev.maskrt.util.Workers;
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
 * Pre-processing ({@link Preprocessor}, 2 threads: PIL-exact resize, normalise, pad to 32) of a decoded image, on the
 * inputs that {@code anchors/preprocess_pil.py} writes and times detectron2's path on (PIL resize + torch normalise
 * and pad). Decoding is excluded on both sides.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class PreprocessBenchmark {
    @Param({"preprocess_sartorius_1040"})
    public String workload;

    private DecodedImage image;
    private Workers workers;
    private Preprocessor preprocessor;

    @Setup(Level.Trial)
    public void load() throws IOException {
        Path dir = Path.of(System.getProperty("maskrt.bench.inputs", "target/inputs"));
        Map<String, Npy.Array> in = Npy.readArchive(dir.resolve(workload + ".npz"));
        int[] shape = in.get("image").shape();
        image = DecodedImage.ofBytes(shape[0], shape[1], shape[2], ChannelFormat.BGR, in.get("image").asBytes());
        int[] sizes = in.get("sizes").asInts();
        workers = new Workers(2);
        preprocessor = Preprocessor.detectron2Default(new ResizeShortestEdge(sizes[0], sizes[1]), workers);
    }

    @TearDown(Level.Trial)
    public void close() {
        workers.close();
    }

    @Benchmark
    public PreprocessedBatch preprocess() {
        return preprocessor.preprocess(image);
    }
}
