package dev.maskrt.bench;

import dev.maskrt.ImageInput;
import dev.maskrt.Predictor;
import dev.maskrt.PredictorOptions;
import dev.maskrt.config.Precision;
import dev.maskrt.config.StageTimer;
import dev.maskrt.config.Backend;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Times maskrt's whole CPU pipeline end to end (decode → compact masks) on one image, 2 threads, against the
 * workloads of {@code anchors/pipeline_detectron2.py} (run that first: it writes the images to
 * {@code target/inputs/<workload>.png} and exports the full-size R50 package to {@code target/models/cascade_r50}).
 * A timed main rather than JMH because one R50 run takes seconds: one warm-up, then the median of several runs, plus
 * the median time of every stage (decode, preprocess, backbone, proposals, box stage k, detections, mask head,
 * paste) and the process's peak resident memory.
 *
 * <p>Run from benchmarks/: {@code java -cp target/benchmarks.jar dev.maskrt.bench.PipelineBenchmark [workload...]},
 * or with {@code --model DIR [--name NAME] [--runs N] [--warmup N] [--precision fp32|int8] [--no-winograd] [--no-memory-arena] IMAGE...} on any package and images (one JSON
 * line per image; {@code anchors/pipeline_real_detectron2.py} runs it beside real detectron2);
 * {@code -Dmaskrt.bench.spin=true} lets ONNX Runtime's threads spin between runs (default off).
 */
public final class PipelineBenchmark {
    private PipelineBenchmark() {}

    private record Workload(String name, Path model, int runs, Precision precision, boolean winograd,
            boolean arena) {
        Workload(String name, Path model, int runs) {
            this(name, model, runs, Precision.FP32, true, true);
        }
    }

    public static void main(String[] args) throws Exception {
        Path inputs = Path.of(System.getProperty("maskrt.bench.inputs", "target/inputs"));
        boolean spin = Boolean.getBoolean("maskrt.bench.spin");
        if (args.length > 0 && args[0].startsWith("--")) {
            runGiven(args, spin);
            return;
        }
        Map<String, Workload> all = new LinkedHashMap<>();
        all.put("pipeline_tiny_520x704", new Workload("pipeline_tiny_520x704",
                Path.of("../maskrt/src/test/resources/models/tiny"), 7));
        all.put("pipeline_r50_800x1333", new Workload("pipeline_r50_800x1333", Path.of("target/models/cascade_r50"), 3));
        List<String> names = args.length > 0 ? Arrays.asList(args) : new ArrayList<>(all.keySet());
        for (String name : names) {
            Workload w = all.get(name);
            if (w == null) throw new IllegalArgumentException("unknown workload " + name + "; known: " + all.keySet());
            Path image = inputs.resolve(name + ".png");
            if (!Files.exists(image) || !Files.exists(w.model().resolve("manifest.json"))) {
                System.err.println(name + ": missing " + image + " or " + w.model() + "; run anchors/pipeline_detectron2.py");
                continue;
            }
            run(w, List.of(image), 1, spin);
        }
    }

    /**
     * {@code --model DIR [--name NAME] [--runs N] [--warmup N] IMAGE...}: the given package on the given images
     * (used by {@code anchors/pipeline_real_detectron2.py}); one JSON line per image.
     */
    private static void runGiven(String[] args, boolean spin) {
        Path model = null;
        String name = "pipeline";
        int runs = 5, warmup = 1;
        Precision precision = Precision.FP32;
        boolean winograd = true, arena = true;
        List<Path> images = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--model": model = Path.of(args[++i]); break;
                case "--name": name = args[++i]; break;
                case "--runs": runs = Integer.parseInt(args[++i]); break;
                case "--warmup": warmup = Integer.parseInt(args[++i]); break;
                case "--precision": precision = Precision.parse(args[++i]); break;
                case "--no-winograd": winograd = false; break;
                case "--memory-arena": arena = true; break;
                case "--no-memory-arena": arena = false; break;
                default:
                    if (args[i].startsWith("--")) throw new IllegalArgumentException("unknown option " + args[i]);
                    images.add(Path.of(args[i]));
            }
        }
        if (model == null || images.isEmpty()) {
            throw new IllegalArgumentException("usage: --model DIR [--name NAME] [--runs N] [--warmup N] "
                    + "[--precision fp32|int8] [--no-winograd] [--no-memory-arena] IMAGE...");
        }
        run(new Workload(name, model, runs, precision, winograd, arena), images, warmup, spin);
    }

    private static void run(Workload w, List<Path> images, int warmup, boolean spin) {
        PredictorOptions options = PredictorOptions.builder().backend(Backend.CPU).threads(2).engineSpinning(spin)
                .precision(w.precision()).winograd(w.winograd()).memoryArena(w.arena()).build();
        try (Predictor predictor = Predictor.open(w.model(), options)) {
            for (Path image : images) {
                ImageInput input = ImageInput.of(image);
                int detections = 0;
                for (int i = 0; i < Math.max(1, warmup); i++) detections = predictor.predict(input).size();
                double[] total = new double[w.runs()];
                Map<String, double[]> stages = new LinkedHashMap<>();
                for (int r = 0; r < w.runs(); r++) {
                    StageTimer timer = new StageTimer();
                    long t0 = System.nanoTime();
                    predictor.predictAll(List.of(input), timer).get(0).instances();
                    total[r] = (System.nanoTime() - t0) / 1e6;
                    int run = r;
                    timer.millis().forEach((k, v) -> stages.computeIfAbsent(k, x -> new double[w.runs()])[run] = v);
                }
                StringBuilder perStage = new StringBuilder();
                stages.forEach((k, v) -> perStage.append(String.format(Locale.ROOT, ", \"%s\": %.1f", k, median(v))));
                System.out.printf(Locale.ROOT, "{\"workload\": \"%s\", \"impl\": \"maskrt\", \"precision\": \"%s\", \"image\": \"%s\", "
                        + "\"ms\": %.1f, \"detections\": %d, \"spin\": %b, \"peak_rss_mb\": %d, \"stages_ms\": {%s}}%n",
                        w.name(), w.precision().id(), image.getFileName(), median(total), detections, spin, peakRssMb(),
                        perStage.length() > 0 ? perStage.substring(2) : "");
            }
        }
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }

    /** VmHWM of this process in MiB (Linux), or -1. */
    private static long peakRssMb() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024;
            }
        } catch (Exception e) {
            return -1;
        }
        return -1;
    }
}
