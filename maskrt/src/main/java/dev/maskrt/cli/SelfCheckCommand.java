package dev.maskrt.cli;

import dev.maskrt.ImageInput;
import dev.maskrt.Prediction;
import dev.maskrt.Predictor;
import dev.maskrt.PredictorOptions;
import dev.maskrt.config.StageTimer;
import dev.maskrt.config.Backend;
import dev.maskrt.config.Precision;
import dev.maskrt.engine.tensorrt.TensorRtAvailability;
import dev.maskrt.config.TensorRtOptions;
import dev.maskrt.output.Instance;
import dev.maskrt.selfcheck.DetectionParity;
import dev.maskrt.selfcheck.ParityCriteria;
import dev.maskrt.selfcheck.ParityReport;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code maskrt selfcheck}: for users with a GPU. Runs the sample images through the CPU backend and the TensorRT
 * backend (FP32, and FP16 with {@code --fp16}), prints per image and overall whether the detections match (FP32:
 * one-to-one, same class, box IoU >= 0.99, |score diff| <= 1e-3, mask IoU >= 0.98; FP16: the deltas only), the
 * time per pipeline stage (each stage is timed around synchronised work with {@code System.nanoTime}) and the
 * throughput. {@code --bench} adds latency at batch 1 (median of {@code --runs}) and throughput at batch 8 for every
 * backend. Without a usable GPU/TensorRT it prints the one-line reason and exits 2.
 */
@Command(name = "selfcheck", mixinStandardHelpOptions = true,
        description = {"Check the TensorRT backend against the CPU backend on sample images (needs an NVIDIA GPU).",
            "maskrt selfcheck --model DIR [--images DIR|FILE...] [--fp16] [--bench [--runs N]] [--cache DIR]",
            "Exit status: 0 FP32 detections match, 1 they do not, 2 usage error or no usable GPU/TensorRT."})
final class SelfCheckCommand implements Callable<Integer> {
    static final int BENCH_BATCH = 8;

    @Option(names = "--model", required = true, paramLabel = "DIR", description = "Model package directory.")
    Path model;

    @Option(names = "--images", arity = "1..*", paramLabel = "DIR|FILE",
            description = "Sample images (default: DIR/samples, else DIR/reference/images).")
    List<Path> images;

    @Option(names = "--fp16", description = "Also run TensorRT FP16 (its deltas are reported, not judged).")
    boolean fp16;

    @Option(names = "--bench", description = "Also time latency at batch 1 and throughput at batch 8.")
    boolean bench;

    @Option(names = "--runs", defaultValue = "10", paramLabel = "N", description = "Timed runs per image for --bench.")
    int runs;

    @Option(names = "--cache", paramLabel = "DIR", description = "Engine cache directory.")
    Path cache;

    @Option(names = "--threads", defaultValue = "0", paramLabel = "N", description = "CPU threads (default: all cores).")
    int threads;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    private final Supplier<TensorRtAvailability> availability;

    SelfCheckCommand() {
        this(TensorRtAvailability::probe);
    }

    SelfCheckCommand(Supplier<TensorRtAvailability> availability) {
        this.availability = availability;
    }

    @Override
    public Integer call() throws IOException {
        if (threads < 0 || threads > PredictorOptions.MAX_THREADS) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--threads must be in 0.."
                    + PredictorOptions.MAX_THREADS + " (0 = all cores), got " + threads);
        }
        PrintWriter out = spec.commandLine().getOut();
        TensorRtAvailability a = availability.get();
        if (!TensorRtCommands.available(a, spec.commandLine().getErr())) return TensorRtCommands.EXIT_UNAVAILABLE;
        if (runs < 1) throw new CommandLine.ParameterException(spec.commandLine(), "--runs must be >= 1");
        List<Path> files = TensorRtCommands.images(images != null ? images : defaultImages());
        if (files.isEmpty()) throw new CommandLine.ParameterException(spec.commandLine(), "no sample images found");
        List<ImageInput> inputs = files.stream().map(ImageInput::of).toList();
        out.println("maskrt selfcheck: " + a);
        out.println("images: " + files.size());

        RunResult cpu = runAll(options(Backend.CPU, Precision.FP32, 1), inputs);
        out.println(cpu.describe("CPU"));
        List<Precision> precisions = fp16 ? List.of(Precision.FP32, Precision.FP16) : List.of(Precision.FP32);
        boolean fp32Passes = true;
        for (Precision p : precisions) {
            RunResult trt = runAll(options(Backend.TENSORRT, p, 1), inputs);
            out.println(trt.describe("TensorRT " + p.id()));
            ParityReport total = ParityReport.empty();
            ParityCriteria criteria = p == Precision.FP32 ? ParityCriteria.FP32 : new ParityCriteria(1e-9, 1, 0);
            for (int i = 0; i < files.size(); i++) {
                ParityReport r = DetectionParity.compare(cpu.instances.get(i), trt.instances.get(i), criteria,
                        cpu.inclusiveBoxes);
                total = total.plus(r);
                out.println("  " + files.get(i).getFileName() + ": " + r.summary()
                        + (p == Precision.FP32 ? (r.passes() ? "  MATCH" : "  DIFFERENT") : ""));
            }
            if (p == Precision.FP32) {
                fp32Passes = total.passes();
                out.println("TensorRT fp32 vs CPU: " + (total.passes() ? "MATCH" : "DIFFERENT") + " (" + total.summary() + ")");
            } else {
                out.println("TensorRT " + p.id() + " vs CPU deltas: " + total.summary());
            }
        }
        if (bench) {
            out.println("benchmark (" + runs + " runs per image, batch " + BENCH_BATCH + " for throughput):");
            out.println(bench("CPU", Backend.CPU, Precision.FP32, inputs));
            for (Precision p : precisions) out.println(bench("TensorRT " + p.id(), Backend.TENSORRT, p, inputs));
        }
        out.flush();
        return fp32Passes ? 0 : 1;
    }

    private List<Path> defaultImages() {
        Path samples = model.resolve("samples");
        if (Files.isDirectory(samples)) return List.of(samples);
        Path reference = model.resolve("reference").resolve("images");
        if (Files.isDirectory(reference)) return List.of(reference);
        throw new CommandLine.ParameterException(spec.commandLine(),
                "no --images given and " + model + " has no samples/ or reference/images/ folder");
    }

    private PredictorOptions options(Backend backend, Precision precision, int batch) {
        PredictorOptions.Builder b = PredictorOptions.builder().backend(backend).batchSize(batch)
                .tensorRt(TensorRtOptions.builder().precision(precision).cacheDirectory(cache).build());
        if (threads > 0) b.threads(threads);
        return b.build();
    }

    /** Runs every image once, returning the instances and the stage times. */
    private RunResult runAll(PredictorOptions options, List<ImageInput> inputs) {
        try (Predictor predictor = Predictor.open(model, options)) {
            predictor.predictAll(inputs.subList(0, 1)); // warm-up: first-run allocations and lazy initialisation
            StageTimer timer = new StageTimer();
            long t0 = System.nanoTime();
            List<Prediction> predictions = predictor.predictAll(inputs, timer);
            double seconds = (System.nanoTime() - t0) / 1e9;
            List<List<Instance>> instances = new ArrayList<>();
            for (Prediction p : predictions) instances.add(p.instances());
            return new RunResult(instances, timer.millis(), seconds, inputs.size(), predictor.inclusiveBoxes());
        }
    }

    private String bench(String label, Backend backend, Precision precision, List<ImageInput> inputs) {
        double[] medians = new double[inputs.size()];
        try (Predictor predictor = Predictor.open(model, options(backend, precision, 1))) {
            predictor.predictAll(inputs.subList(0, 1));
            for (int i = 0; i < inputs.size(); i++) {
                double[] t = new double[runs];
                for (int r = 0; r < runs; r++) {
                    long t0 = System.nanoTime();
                    predictor.predictAll(inputs.subList(i, i + 1));
                    t[r] = (System.nanoTime() - t0) / 1e6;
                }
                medians[i] = median(t);
            }
        }
        List<ImageInput> batchInputs = new ArrayList<>();
        while (batchInputs.size() < BENCH_BATCH * 2) batchInputs.addAll(inputs);
        double imagesPerSecond;
        try (Predictor predictor = Predictor.open(model, options(backend, precision, BENCH_BATCH))) {
            predictor.predictAll(batchInputs.subList(0, BENCH_BATCH));
            long t0 = System.nanoTime();
            for (int r = 0; r < runs; r++) predictor.predictAll(batchInputs);
            imagesPerSecond = (double) runs * batchInputs.size() / ((System.nanoTime() - t0) / 1e9);
        }
        return String.format(Locale.ROOT, "  %-14s batch 1: median %.2f ms/image (images: %s); batch %d: %.1f images/s",
                label, median(medians.clone()), Arrays.toString(Arrays.stream(medians)
                        .mapToObj(m -> String.format(Locale.ROOT, "%.2f", m)).toArray()), BENCH_BATCH, imagesPerSecond);
    }

    static double median(double[] values) {
        double[] v = values.clone();
        Arrays.sort(v);
        int n = v.length;
        return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    }

    /** @param inclusiveBoxes the model's boxes are inclusive pixel ranges (maskrcnn-benchmark): IoU with +1 */
    private record RunResult(List<List<Instance>> instances, Map<String, Double> stageMillis, double seconds, int images,
            boolean inclusiveBoxes) {
        String describe(String label) {
            StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "%s: %.1f images/s; ms per image by stage:",
                    label, images / seconds));
            stageMillis.forEach((stage, ms) -> sb.append(String.format(Locale.ROOT, " %s %.2f", stage, ms / images)));
            return sb.toString();
        }
    }
}
