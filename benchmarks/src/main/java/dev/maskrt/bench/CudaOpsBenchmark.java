package dev.maskrt.bench;

import dev.maskrt.ops.FeatureMap;
import dev.maskrt.ops.LevelMapping;
import dev.maskrt.ops.cpu.CpuMaskPaster;
import dev.maskrt.ops.cpu.CpuNms;
import dev.maskrt.ops.cpu.CpuRoiAlign;
import dev.maskrt.util.Workers;
import dev.maskrt.ops.cuda.CudaMaskPaster;
import dev.maskrt.ops.cuda.CudaNms;
import dev.maskrt.ops.cuda.CudaRoiAlign;
import dev.maskrt.ops.cuda.CudaRuntime;
import dev.maskrt.ops.cuda.CudaStream;
import dev.maskrt.ops.cuda.DeviceBuffer;
import dev.maskrt.ops.cuda.DeviceMemoryPool;
import dev.maskrt.ops.cuda.DeviceTensor;
import dev.maskrt.util.Npy;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
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
 * CPU vs CUDA on the foundation workloads of {@code anchors/nms_torchvision.py}, {@code anchors/roi_align_torchvision.py}
 * and {@code anchors/paste_detectron2.py} (run those first; inputs from {@code target/inputs} or system property
 * {@code maskrt.bench.inputs}). {@code cpu}: the Java ops on 2 threads, host arrays in and out. {@code cuda}: inputs
 * stay on the device (uploaded in setup, as in the pipeline); one op = enqueue on a stream + synchronise, so the time
 * includes launch overhead but no transfer. Without a CUDA device the {@code cuda} trials fail in setup with the
 * reason ("no CUDA device: ...") and JMH goes on with the others.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 10, time = 1)
@Fork(1)
public class CudaOpsBenchmark {
    @Param({"nms_1000", "nms_4000", "batched_nms_4000", "roialign_ml_1000x7", "roialign_ml_100x14",
            "paste_100_1040x1408"})
    public String workload;

    @Param({"cpu", "cuda"})
    public String impl;

    private Runnable op;
    private final List<AutoCloseable> resources = new ArrayList<>();

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        Path dir = Path.of(System.getProperty("maskrt.bench.inputs", "target/inputs"));
        Map<String, Npy.Array> in = Npy.readArchive(dir.resolve(workload + ".npz"));
        if (impl.equals("cuda") && !CudaRuntime.isAvailable()) {
            throw new IllegalStateException("skipped: no CUDA device: " + CudaRuntime.unavailableReason());
        }
        if (workload.contains("nms")) {
            setUpNms(in, workload.startsWith("batched"));
        } else if (workload.startsWith("roialign")) {
            setUpRoiAlign(in);
        } else {
            setUpPaste(in);
        }
    }

    private void setUpNms(Map<String, Npy.Array> in, boolean batched) {
        float[] boxes = in.get("boxes").asFloats(), scores = in.get("scores").asFloats();
        int[] groups = in.get("groups").asInts();
        double thr = in.get("iou_threshold").scalar();
        int n = scores.length;
        if (impl.equals("cpu")) {
            CpuNms nms = new CpuNms(workers());
            op = batched ? () -> nms.batchedNms(boxes, scores, groups, thr) : () -> nms.nms(boxes, scores, thr);
            return;
        }
        DeviceMemoryPool pool = own(new DeviceMemoryPool(0));
        CudaStream stream = own(new CudaStream(0));
        CudaNms nms = own(new CudaNms(pool));
        DeviceBuffer dBoxes = upload(pool, boxes, stream), dScores = upload(pool, scores, stream);
        DeviceBuffer dGroups = upload(pool, groups, stream);
        DeviceBuffer keep = own(pool.acquire(4L * n)), count = own(pool.acquire(4));
        op = () -> {
            nms.nmsOnDevice(dBoxes, dScores, batched ? dGroups : null, null, n, thr, -1, keep, count, stream);
            stream.synchronize();
        };
    }

    private void setUpRoiAlign(Map<String, Npy.Array> in) {
        FeatureMap[] levels = new FeatureMap[4];
        for (int k = 0; k < 4; k++) {
            Npy.Array a = in.get("p" + (k + 2));
            int[] s = a.shape();
            levels[k] = new FeatureMap(a.asFloats(), s[0], s[1], s[2], s[3], 0.25f / (1 << k));
        }
        float[] rois = in.get("rois").asFloats();
        int[] batch = in.get("batch_index").asInts();
        int out = (int) in.get("output_size").scalar();
        LevelMapping mapping = LevelMapping.detectron2();
        if (impl.equals("cpu")) {
            CpuRoiAlign roi = new CpuRoiAlign(workers());
            op = () -> roi.multiLevel(levels, rois, batch, out, out, 0, true, mapping);
            return;
        }
        DeviceMemoryPool pool = own(new DeviceMemoryPool(0));
        CudaStream stream = own(new CudaStream(0));
        CudaRoiAlign roi = own(new CudaRoiAlign(pool));
        DeviceTensor[] data = new DeviceTensor[4];
        float[] scales = new float[4];
        for (int k = 0; k < 4; k++) {
            FeatureMap f = levels[k];
            data[k] = new DeviceTensor(upload(pool, f.data(), stream), new long[] {f.batch(), f.channels(), f.height(),
                    f.width()});
            scales[k] = f.spatialScale();
        }
        int n = batch.length, channels = levels[0].channels();
        DeviceBuffer dRois = upload(pool, rois, stream), dBatch = upload(pool, batch, stream);
        DeviceBuffer dOut = own(pool.acquire(4L * n * channels * out * out));
        op = () -> {
            roi.multiLevelOnDevice(data, scales, dRois, dBatch, n, out, out, 0, true, mapping, dOut, stream);
            stream.synchronize();
        };
    }

    private void setUpPaste(Map<String, Npy.Array> in) {
        float[] masks = in.get("masks").asFloats(), boxes = in.get("boxes").asFloats();
        int[] shape = in.get("masks").shape();
        int[] size = in.get("image_size").asInts();
        float thr = (float) in.get("threshold").scalar();
        int n = shape[0];
        if (impl.equals("cpu")) {
            CpuMaskPaster paster = new CpuMaskPaster(workers());
            op = () -> paster.paste(masks, shape[1], shape[2], boxes, size[0], size[1], thr);
            return;
        }
        DeviceMemoryPool pool = own(new DeviceMemoryPool(0));
        CudaStream stream = own(new CudaStream(0));
        CudaMaskPaster paster = own(new CudaMaskPaster(pool));
        DeviceBuffer dMasks = upload(pool, masks, stream), dBoxes = upload(pool, boxes, stream);
        DeviceBuffer hulls = own(pool.acquire(16L * n)), offsets = own(pool.acquire(8L * (n + 1)));
        DeviceBuffer bits = own(pool.acquire((long) n * size[0] * size[1])); // upper bound: no host read needed
        op = () -> {
            paster.layoutOnDevice(dBoxes, n, size[0], size[1], hulls, offsets, stream);
            paster.pasteOnDevice(dMasks, shape[1], shape[2], dBoxes, n, hulls, offsets, thr, bits, stream);
            stream.synchronize();
        };
    }

    private Workers workers() {
        return own(new Workers(2));
    }

    private DeviceBuffer upload(DeviceMemoryPool pool, float[] values, CudaStream stream) {
        DeviceBuffer b = own(pool.acquire(4L * values.length));
        b.upload(values, stream);
        return b;
    }

    private DeviceBuffer upload(DeviceMemoryPool pool, int[] values, CudaStream stream) {
        DeviceBuffer b = own(pool.acquire(4L * values.length));
        b.upload(values, stream);
        return b;
    }

    private <T extends AutoCloseable> T own(T resource) {
        resources.add(0, resource); // closed in reverse order of creation
        return resource;
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
        for (AutoCloseable r : resources) r.close();
        resources.clear();
    }

    @Benchmark
    public void run() {
        op.run();
    }
}
