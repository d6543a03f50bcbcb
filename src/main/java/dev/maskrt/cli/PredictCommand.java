package dev.maskrt.cli;

import dev.maskrt.ImageInput;
import dev.maskrt.Prediction;
import dev.maskrt.Predictor;
import dev.maskrt.PredictorOptions;
import dev.maskrt.eval.CocoGroundTruth;
import dev.maskrt.output.CocoResultsWriter;
import dev.maskrt.output.ImageInstances;
import dev.maskrt.output.Instance;
import dev.maskrt.output.KaggleSubmissionWriter;
import dev.maskrt.output.OverlayRenderer;
import dev.maskrt.output.SubmissionFormat;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code maskrt predict}: runs a model package on image files and writes the chosen output formats, with a progress
 * bar on stderr and a summary at the end. A file that fails (unreadable, corrupt) is reported and skipped; the exit
 * status is then 1. A bad model package or bad options give exit status 2.
 */
@Command(name = "predict", mixinStandardHelpOptions = true,
        description = {"Run a model package on images and write predictions.",
            "maskrt predict --model DIR --images DIR|FILE... --out DIR [--format coco,sartorius,dsb,airbus] "
                + "[--overlays] [--threads N] [--score-thresh X] [--coco-gt GT.json]",
            "Outputs in --out: coco_results.json, submission_sartorius.csv, submission_dsb.csv, "
                + "submission_airbus.csv, overlays/NAME.png.",
            "Exit status: 0 all images done, 1 some image failed, 2 usage or model package error."})
final class PredictCommand implements Callable<Integer> {
    enum Format { coco, sartorius, dsb, airbus }

    private static final Set<String> IMAGE_EXTENSIONS = Set.of("png", "jpg", "jpeg", "tif", "tiff", "bmp");

    @Option(names = "--model", required = true, paramLabel = "DIR", description = "Model package directory.")
    Path model;

    @Option(names = "--images", required = true, arity = "1..*", paramLabel = "DIR|FILE",
            description = "Image files, or directories whose PNG/JPEG/TIFF/BMP files are all used (sorted by name).")
    List<Path> images;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output directory (created).")
    Path out;

    @Option(names = "--format", split = ",", paramLabel = "FORMAT", defaultValue = "coco",
            description = "coco (default), sartorius, dsb, airbus; several allowed.")
    List<Format> formats;

    @Option(names = "--overlays", description = "Also write each image with its masks drawn, as overlays/NAME.png.")
    boolean overlays;

    @Option(names = "--threads", defaultValue = "0", paramLabel = "N", description = "Threads (default: all cores).")
    int threads;

    @Option(names = "--score-thresh", paramLabel = "X", description = "Score threshold (default: the model's).")
    Float scoreThreshold;

    @Option(names = "--detections-per-image", paramLabel = "N", description = "Detections per image (default: the model's).")
    Integer detectionsPerImage;

    @Option(names = "--min-pixels", defaultValue = "1", paramLabel = "N",
            description = "Kaggle formats: drop instances with fewer pixels after overlap removal (default 1).")
    int minPixels;

    @Option(names = "--coco-gt", paramLabel = "GT.json",
            description = {"COCO ground truth giving image ids (by file_name) and category ids (by name) for coco output.",
                "Without it: numeric file names are the ids, else 1..N (written to coco_image_ids.json);",
                "category ids are class index + 1."})
    Path cocoGt;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        if (threads < 0) throw usage("--threads must be >= 0, got " + threads);
        if (scoreThreshold != null && !Float.isFinite(scoreThreshold)) throw usage("--score-thresh must be finite");
        Set<Format> chosen = new LinkedHashSet<>(formats);
        List<Path> files = collectImages();
        Files.createDirectories(out);
        PredictorOptions.Builder options = PredictorOptions.builder();
        if (threads > 0) options.threads(threads);
        if (scoreThreshold != null) options.scoreThreshold(scoreThreshold);
        if (detectionsPerImage != null) options.detectionsPerImage(detectionsPerImage);
        PrintWriter err = spec.commandLine().getErr();
        Map<Path, String> failed = new LinkedHashMap<>();
        long done = 0, instances = 0;
        try (Predictor predictor = Predictor.open(model, options.build());
                Outputs outputs = new Outputs(chosen, predictor.classNames(), files);
                Progress progress = Progress.create(files.size(), err)) {
            OverlayRenderer renderer = overlays ? new OverlayRenderer() : null;
            if (overlays) Files.createDirectories(out.resolve("overlays"));
            for (Path file : files) {
                Prediction p = predictor.predictAll(List.of(ImageInput.of(file))).get(0);
                if (!p.isSuccess()) {
                    failed.put(file, p.error().orElseThrow().getMessage());
                } else {
                    try {
                        outputs.write(file, p);
                        if (renderer != null) {
                            renderer.render(file, p.instances(), out.resolve("overlays").resolve(stem(file) + ".png"));
                        }
                        done++;
                        instances += p.instances().size();
                    } catch (IOException | RuntimeException e) {
                        failed.put(file, String.valueOf(e.getMessage()));
                    }
                }
                progress.step();
            }
        }
        PrintWriter stdout = spec.commandLine().getOut();
        stdout.printf(Locale.ROOT, "maskrt predict: %d images done, %d instances, %d failed; outputs in %s%n", done,
                instances, failed.size(), out);
        stdout.flush();
        // error messages usually name the file already; do not say it twice
        failed.forEach((f, why) -> err.println("maskrt: failed: "
                + (why.startsWith(f.toString()) ? "" : f + ": ") + why.replace('\n', ' ')));
        err.flush();
        return failed.isEmpty() ? 0 : 1;
    }

    /** The image files named by {@code --images}, directories expanded (sorted), duplicates dropped. */
    private List<Path> collectImages() throws IOException {
        Set<Path> out = new LinkedHashSet<>();
        for (Path p : images) {
            if (Files.isDirectory(p)) {
                try (Stream<Path> s = Files.list(p)) {
                    s.filter(f -> Files.isRegularFile(f) && IMAGE_EXTENSIONS.contains(extension(f))).sorted()
                            .forEach(out::add);
                }
            } else {
                out.add(p); // a named file is tried even if it is missing: it then fails and is reported
            }
        }
        if (out.isEmpty()) throw usage("--images: no image files found in " + images);
        return new ArrayList<>(out);
    }

    private static String extension(Path f) {
        String n = f.getFileName().toString();
        int dot = n.lastIndexOf('.');
        return dot < 0 ? "" : n.substring(dot + 1).toLowerCase(Locale.ROOT);
    }

    static String stem(Path f) {
        String n = f.getFileName().toString();
        int dot = n.lastIndexOf('.');
        return dot > 0 ? n.substring(0, dot) : n;
    }

    private CommandLine.ParameterException usage(String message) {
        return new CommandLine.ParameterException(spec.commandLine(), message);
    }

    /** The output files of the chosen formats, written image by image. */
    private final class Outputs implements AutoCloseable {
        private final CocoResultsWriter coco;
        private final Map<String, Long> cocoImageIds;
        private final Map<Format, KaggleSubmissionWriter> kaggle = new EnumMap<>(Format.class);

        Outputs(Set<Format> chosen, List<String> classNames, List<Path> files) throws IOException {
            CocoResultsWriter c = null;
            Map<String, Long> ids = null;
            try {
                if (chosen.contains(Format.coco)) {
                    int[] categories = new int[classNames.size()];
                    if (cocoGt != null) {
                        CocoGroundTruth gt = CocoGroundTruth.load(cocoGt);
                        ids = gt.imageIdsByFileName();
                        try {
                            categories = CocoResultsWriter.categoryIdsByName(classNames, gt.categoryIdsByName());
                        } catch (IllegalArgumentException e) {
                            throw usage("--coco-gt: " + e.getMessage());
                        }
                    } else {
                        for (int i = 0; i < categories.length; i++) categories[i] = i + 1; // COCO ids start at 1
                        ids = imageIds(files);
                    }
                    c = CocoResultsWriter.open(out.resolve("coco_results.json"), categories);
                }
                for (Format f : chosen) {
                    if (f == Format.coco) continue;
                    kaggle.put(f, KaggleSubmissionWriter.open(out.resolve("submission_" + f + ".csv"), submission(f),
                            minPixels));
                }
            } catch (IOException | RuntimeException e) {
                if (c != null) c.close();
                for (KaggleSubmissionWriter w : kaggle.values()) w.close();
                throw e;
            }
            coco = c;
            cocoImageIds = ids;
        }

        void write(Path file, Prediction p) throws IOException {
            List<Instance> instances = p.instances();
            if (coco != null) {
                Long id = cocoImageIds.get(cocoGt != null ? file.getFileName().toString() : file.toString());
                if (id == null) throw new IllegalArgumentException("not an image of --coco-gt " + cocoGt);
                List<CocoResultsWriter.Detection> detections = new ArrayList<>(instances.size());
                for (Instance i : instances) {
                    detections.add(new CocoResultsWriter.Detection(i.classIndex(), i.score(), i.x0(), i.y0(), i.x1(),
                            i.y1(), i.mask()));
                }
                coco.write(id, detections);
            }
            for (Map.Entry<Format, KaggleSubmissionWriter> e : kaggle.entrySet()) {
                String id = e.getKey() == Format.airbus ? file.getFileName().toString() : stem(file);
                e.getValue().write(new ImageInstances(id, p.height(), p.width(), instances));
            }
        }

        /**
         * COCO image ids without a ground truth: the numbers in the file names when every name is numeric (COCO's
         * own naming, {@code 000000397133.jpg}), else 1..N in file order, written to {@code coco_image_ids.json}.
         */
        private Map<String, Long> imageIds(List<Path> files) throws IOException {
            Map<String, Long> ids = new LinkedHashMap<>();
            try {
                for (Path f : files) ids.put(f.toString(), CocoResultsWriter.imageIdFromFileName(f.getFileName().toString()));
                if (new java.util.HashSet<>(ids.values()).size() == ids.size()) return ids;
            } catch (IllegalArgumentException notNumeric) {
                // fall through to sequential ids
            }
            ids.clear();
            com.fasterxml.jackson.databind.node.ObjectNode map = new com.fasterxml.jackson.databind.ObjectMapper()
                    .createObjectNode();
            long next = 1;
            for (Path f : files) {
                ids.put(f.toString(), next);
                map.put(f.toString(), next++);
            }
            new com.fasterxml.jackson.databind.ObjectMapper().writerWithDefaultPrettyPrinter()
                    .writeValue(out.resolve("coco_image_ids.json").toFile(), map);
            return ids;
        }

        private SubmissionFormat submission(Format f) {
            switch (f) {
                case sartorius: return SubmissionFormat.SARTORIUS;
                case dsb: return SubmissionFormat.DSB2018;
                default: return SubmissionFormat.AIRBUS_SHIP;
            }
        }

        @Override
        public void close() throws IOException {
            IOException first = null;
            List<AutoCloseable> all = new ArrayList<>(kaggle.values());
            if (coco != null) all.add(0, coco);
            for (AutoCloseable c : all) {
                try {
                    c.close();
                } catch (Exception e) {
                    if (first == null) first = e instanceof IOException io ? io : new IOException(e);
                }
            }
            if (first != null) throw first;
        }
    }
}
