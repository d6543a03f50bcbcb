package dev.maskrt.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.maskrt.ImageInput;
import dev.maskrt.Prediction;
import dev.maskrt.Predictor;
import dev.maskrt.PredictorOptions;
import dev.maskrt.config.Precision;
import dev.maskrt.output.OverlayRenderer;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code maskrt predict}: runs a model package on image files and writes the chosen output formats, with a progress
 * bar on stderr and a summary at the end. A file that fails (unreadable, corrupt, not a regular file, too large) is
 * reported and skipped; the exit status is then 1. A bad model package or bad options give exit status 2.
 *
 * <p>Each finished image is appended to the journal {@code OUT/predict-journal.jsonl} (forced to disk) and the final
 * files are written from it at the end, atomically; {@code --resume} continues a killed or failed run from its
 * journal, and the final files are then byte for byte those of an uninterrupted run. The journal is deleted when
 * every image succeeded. Without {@code --resume}, an {@code --out} that holds maskrt outputs is refused unless
 * {@code --overwrite} is given.
 */
@Command(name = "predict", mixinStandardHelpOptions = true,
        description = {"Run a model package on images and write predictions.",
            "maskrt predict --model DIR --images DIR|FILE... --out DIR [--format coco,sartorius,dsb,airbus] "
                + "[--overlays] [--threads N] [--score-thresh X] [--tta | --no-tta] [--coco-gt GT.json] "
                + "[--resume | --overwrite]",
            "Outputs in --out: coco_results.json (and, for a maskrcnn-benchmark model, bbox.json and segm.json as its "
                + "coco_eval.py writes them), submission_sartorius.csv, submission_dsb.csv, "
                + "submission_airbus.csv, overlays/ID.png; predict-journal.jsonl while the run is incomplete.",
            "Ids: the file's stem when unique among the inputs, else its path under the inputs' common folder "
                + "with separators replaced by _.",
            "Exit status: 0 all images done, 1 some image failed, 2 usage or model package error."})
final class PredictCommand implements Callable<Integer> {
    enum Format { coco, sartorius, dsb, airbus }

    private static final ObjectMapper JSON = new ObjectMapper();

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

    @Option(names = "--overlays", description = "Also write each image with its masks drawn, as overlays/ID.png.")
    boolean overlays;

    @Option(names = "--threads", defaultValue = "0", paramLabel = "N",
            description = {"Threads in all, 1.." + PredictorOptions.MAX_THREADS + " (default 0: all cores), shared by the",
                "images in flight: each prediction gets threads / images in flight (at least 1)."})
    int threads;

    @Option(names = "--score-thresh", paramLabel = "X", description = "Score threshold in [0, 1] (default: the model's).")
    Float scoreThreshold;

    @Option(names = "--detections-per-image", paramLabel = "N",
            description = "Detections per image, >= 1 (default: the model's).")
    Integer detectionsPerImage;

    @Option(names = "--tta", negatable = true,
            description = {"Test-time augmentation as the model's trainer runs it (detectron2's GeneralizedRCNNWithTTA, "
                + "mmdetection's aug_test), with the model's test_aug sizes and flip; --no-tta turns it off.",
                "Default: the model's test_aug.enabled (TEST.AUG.ENABLED; an mmdetection MultiScaleFlipAug)."})
    Boolean tta;

    @Option(names = "--precision", defaultValue = "fp32", paramLabel = "fp32|int8",
            description = {"The package's graphs to run: fp32 (default) or int8 (its static int8 graphs, made by",
                "python3 -m tools.quantize; on the CPU). A package without int8 graphs is refused."})
    String precision;

    @Option(names = "--winograd", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = {"On the CPU, run a graph's Winograd form where the package has one (winograd_file, made by",
                "python3 -m tools.winograd: wide 3x3 convolutions as Winograd F(4x4, 3x3), the mask head's upsampling",
                "at the RoI resolution; float32, equal up to rounding; default). --no-winograd runs every graph's",
                "direct form."})
    boolean winograd;

    @Option(names = "--memory-arena", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = {"On the CPU, keep ONNX Runtime's memory arena: a run's freed intermediate tensors are reused",
                "by later runs instead of being unmapped and faulted in anew (default; a full-size R50 cascade 0.2-0.8 s",
                "faster per image at the same peak RSS). --no-memory-arena returns the memory after every run."})
    boolean memoryArena;

    @Option(names = "--min-pixels", defaultValue = "1", paramLabel = "N",
            description = "Kaggle formats: drop instances with fewer pixels after overlap removal (default 1).")
    int minPixels;

    @Option(names = "--max-image-bytes", defaultValue = "1g", paramLabel = "SIZE",
            description = "Refuse image files larger than this, before reading them (default 1g; k, m, g suffixes).")
    String maxImageBytes;

    @Option(names = "--coco-gt", paramLabel = "GT.json",
            description = {"COCO ground truth giving image ids (by file_name) and category ids (by name) for coco output.",
                "Without it: numeric file names are the ids, else 1..N (written to coco_image_ids.json);",
                "category ids are class index + 1."})
    Path cocoGt;

    @Option(names = "--in-flight", defaultValue = "0", paramLabel = "N",
            description = {"Images predicted at once, 1..8, each with --threads / N threads (default 0: from the core",
                "count, cores / 4 between 2 and 8): images in parallel keep the cores busier than one image on all of",
                "them, and writing overlaps predicting; never more than the images left. Outputs and journal keep the",
                "input order; 1 = one image at a time on all threads."})
    int inFlight;

    @Option(names = "--resume", description = "Continue the interrupted or failed run in --out from its journal.")
    boolean resume;

    @Option(names = "--overwrite", description = "Replace the maskrt outputs already in --out.")
    boolean overwrite;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        long maxBytes = checkOptions();
        Set<Format> chosen = new LinkedHashSet<>(formats);
        PrintWriter err = spec.commandLine().getErr();
        List<InputImage> inputs = InputFiles.collect(images, err);
        if (inputs.isEmpty()) throw usage("--images: no image files found in " + images);
        prepareOut();
        JsonNode header = journalHeader(chosen, inputs);
        PredictJournal journal = resume ? reopenJournal(header, err) : null;
        if (journal == null) refuseExistingOutputs();
        PredictJournal resumedFrom = journal;
        List<InputImage> todo = resumedFrom == null ? inputs
                : inputs.stream().filter(in -> !resumedFrom.isDone(in.id())).toList();
        PredictorOptions.Builder options = PredictorOptions.builder().maxImageFileBytes(maxBytes);
        options.threads(threadsPerPrediction(Runtime.getRuntime().availableProcessors(), todo.size()));
        if (scoreThreshold != null) options.scoreThreshold(scoreThreshold);
        if (detectionsPerImage != null) options.detectionsPerImage(detectionsPerImage);
        if (tta != null) options.tta(tta);
        options.precision(precision());
        options.winograd(winograd).memoryArena(memoryArena);
        Map<Path, String> failed = new LinkedHashMap<>();
        FinalOutputs.Totals totals;
        int resumed = journal == null ? 0 : journal.doneCount();
        try (Predictor predictor = Predictor.open(model, options.build())) {
            refuseMaskFormats(chosen, predictor);
            ImageRenderer renderer = renderer(chosen, predictor, inputs);
            if (journal == null) {
                OutputDir.clear(out); // --overwrite, or nothing there: only now that the run can start
                journal = PredictJournal.create(out, header);
            } else {
                OutputDir.clearPartials(out);
            }
            if (overlays) Files.createDirectories(out.resolve(OutputDir.OVERLAYS));
            try {
                predictAll(predictor, renderer, todo, journal, failed, err);
                totals = FinalOutputs.write(out, inputs, journal, chosen.contains(Format.coco), renderer.headers(),
                        renderer.sequentialImageIds(), predictor.inclusiveBoxes(), predictor.hasMasks());
                if (failed.isEmpty()) journal.delete();
            } finally {
                journal.close();
            }
        } catch (IOException | RuntimeException e) {
            if (journal != null) journal.close();
            throw e;
        }
        report(totals, resumed, failed, err);
        return failed.isEmpty() ? 0 : 1;
    }

    /** Kaggle submissions are run-length encoded masks: a box-only model can only write COCO results (and overlays). */
    private void refuseMaskFormats(Set<Format> chosen, Predictor predictor) {
        String why = PredictOutputs.boxOnlyRefusal(model.toString(), predictor.hasMasks(),
                chosen.stream().map(Format::name).toList());
        if (why != null) throw usage(why + " and --overlays");
    }

    /**
     * Predicts {@code todo} (the inputs not yet in the journal), appending each finished one in input order. Up to
     * {@code --in-flight} predictions run ahead on their own threads (the {@link Predictor} is thread-safe) while this
     * thread encodes, draws and journals the finished ones, so a killed run has journalled a prefix of the work and
     * resumes after it.
     */
    private void predictAll(Predictor predictor, ImageRenderer renderer, List<InputImage> todo,
                            PredictJournal journal, Map<Path, String> failed, PrintWriter err) throws IOException {
        OverlayRenderer overlayRenderer = overlays ? new OverlayRenderer() : null;
        int inFlight = imagesInFlight(Runtime.getRuntime().availableProcessors(), todo.size());
        ExecutorService ahead = Executors.newFixedThreadPool(inFlight, r -> {
            Thread t = new Thread(r, "maskrt-predict-ahead");
            t.setDaemon(true);
            return t;
        });
        Deque<Future<Prediction>> pending = new ArrayDeque<>();
        int next = 0;
        try (Progress progress = Progress.create(todo.size(), err)) {
            for (InputImage in : todo) {
                while (next < todo.size() && pending.size() < inFlight) {
                    ImageInput image = ImageInput.of(todo.get(next++).path());
                    pending.add(ahead.submit(() -> predictor.predictAll(List.of(image)).get(0)));
                }
                Prediction p = await(pending.poll());
                ImageRecord record = null;
                if (!p.isSuccess()) {
                    failed.put(in.path(), p.error().orElseThrow().getMessage());
                } else {
                    try {
                        record = renderer.render(in, p);
                        if (overlayRenderer != null) writeOverlay(overlayRenderer, in, p);
                    } catch (IOException | RuntimeException e) {
                        failed.put(in.path(), String.valueOf(e.getMessage()));
                        record = null;
                    }
                }
                if (record != null) journal.append(record); // a journal that cannot be written ends the run
                progress.step();
            }
        } finally {
            for (Future<Prediction> f : pending) f.cancel(true);
            ahead.shutdownNow();
        }
    }

    static final int MAX_IN_FLIGHT = 8;

    /**
     * {@code --in-flight}, or by default {@code cores / 4} between 2 and {@link #MAX_IN_FLIGHT}; never more than the
     * {@code images} left to predict (at least 1), so that one image gets every thread.
     */
    int imagesInFlight(int cores, int images) {
        int wanted = inFlight > 0 ? inFlight : Math.max(2, Math.min(MAX_IN_FLIGHT, cores / 4));
        return Math.max(1, Math.min(wanted, images));
    }

    /** Each prediction's share of {@code --threads} (all cores by default): threads / images in flight, at least 1. */
    int threadsPerPrediction(int cores, int images) {
        int total = threads > 0 ? threads : Math.min(cores, PredictorOptions.MAX_THREADS);
        return Math.max(1, total / imagesInFlight(cores, images));
    }

    /** The prediction of a look-ahead task (predictAll reports an image's failure in its Prediction, never throws). */
    private static Prediction await(Future<Prediction> f) {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for a prediction", e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException r) throw r;
            if (cause instanceof Error error) throw error;
            throw new IllegalStateException(cause);
        }
    }

    private void writeOverlay(OverlayRenderer renderer, InputImage in, Prediction p) throws IOException {
        Path dir = out.resolve(OutputDir.OVERLAYS);
        Path tmp = dir.resolve("." + in.id() + ".partial.png"); // OpenCV picks the codec by the extension
        renderer.render(in.path(), p.instances(), tmp);
        try (FileChannel c = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
            c.force(true);
        }
        OutputDir.move(tmp, dir.resolve(in.id() + ".png"));
    }

    private void report(FinalOutputs.Totals totals, int resumed, Map<Path, String> failed, PrintWriter err) {
        PrintWriter stdout = spec.commandLine().getOut();
        stdout.printf(Locale.ROOT, "maskrt predict: %d images done, %d instances, %d failed; outputs in %s%s%n",
                totals.images(), totals.instances(), failed.size(), out,
                resumed > 0 ? " (" + resumed + " images resumed from the journal)" : "");
        stdout.flush();
        // error messages usually name the file already; do not say it twice
        failed.forEach((f, why) -> err.println(PredictOutputs.failedLine(f.toString(), why)));
        if (!failed.isEmpty()) {
            err.println("maskrt: the finished images are kept in " + out.resolve(PredictJournal.FILE_NAME)
                    + "; run again with --resume to retry the failed ones");
        }
        err.flush();
    }

    /** Checks the options' values; returns --max-image-bytes in bytes. */
    private long checkOptions() {
        if (inFlight < 0 || inFlight > MAX_IN_FLIGHT) {
            throw usage("--in-flight: must be 1.." + MAX_IN_FLIGHT + " (0 = from the core count), got " + inFlight);
        }
        if (threads < 0 || threads > PredictorOptions.MAX_THREADS) {
            throw usage("--threads must be in 0.." + PredictorOptions.MAX_THREADS + " (0 = all cores), got " + threads);
        }
        if (scoreThreshold != null && !(scoreThreshold >= 0 && scoreThreshold <= 1)) {
            throw usage("--score-thresh must be in [0, 1], got " + scoreThreshold);
        }
        if (detectionsPerImage != null && detectionsPerImage < 1) {
            throw usage("--detections-per-image must be >= 1, got " + detectionsPerImage);
        }
        if (minPixels < 0) throw usage("--min-pixels must be >= 0, got " + minPixels);
        precision();
        if (resume && overwrite) throw usage("--resume and --overwrite exclude each other");
        long bytes = parseSize(maxImageBytes);
        if (bytes < 1) throw usage("--max-image-bytes must be a size >= 1 like 500m or 2g, got '" + maxImageBytes + "'");
        return bytes;
    }

    /** {@code --precision}: fp32 or int8 (any case). */
    private Precision precision() {
        String p = precision.trim().toLowerCase(Locale.ROOT);
        if (p.equals(Precision.FP32.id())) return Precision.FP32;
        if (p.equals(Precision.INT8.id())) return Precision.INT8;
        throw usage("--precision must be fp32 or int8, got '" + precision + "'");
    }

    /** {@code N}, {@code Nk}, {@code Nm}, {@code Ng} (powers of 1024) in bytes, or -1 when not such a size. */
    static long parseSize(String text) {
        String t = text.trim().toLowerCase(Locale.ROOT);
        int shift = t.endsWith("k") ? 10 : t.endsWith("m") ? 20 : t.endsWith("g") ? 30 : 0;
        String digits = shift == 0 ? t : t.substring(0, t.length() - 1);
        if (digits.isEmpty() || digits.length() > 12 || !digits.chars().allMatch(Character::isDigit)) return -1;
        return Long.parseLong(digits) << shift;
    }

    /** {@code --out} must be a folder that exists or can be made; {@code --overlays} needs a folder there too. */
    private void prepareOut() {
        if (Files.exists(out) && !Files.isDirectory(out)) {
            throw usage("--out " + out + ": exists and is not a directory");
        }
        try {
            Files.createDirectories(out);
        } catch (IOException e) {
            throw usage("--out " + out + ": cannot create this directory (" + describe(e) + ")");
        }
        if (!Files.isWritable(out)) throw usage("--out " + out + ": directory is not writable");
        Path overlaysDir = out.resolve(OutputDir.OVERLAYS);
        if (overlays && Files.exists(overlaysDir) && !Files.isDirectory(overlaysDir)) {
            throw usage("--overlays: " + overlaysDir + " exists and is not a directory");
        }
    }

    private void refuseExistingOutputs() throws IOException {
        List<String> existing = OutputDir.outputsIn(out);
        if (existing.isEmpty() || overwrite) return;
        if (resume) {
            throw usage("--resume: " + out + " holds maskrt outputs " + existing + " but no "
                    + PredictJournal.FILE_NAME + ": its run finished, so there is nothing to resume (use --overwrite "
                    + "to run it again)");
        }
        throw usage("--out " + out + " already holds maskrt outputs " + existing
                + ": use --resume to continue that run, or --overwrite to replace them");
    }

    /** The journal to continue, checked against this run's settings and inputs; null when there is none. */
    private PredictJournal reopenJournal(JsonNode header, PrintWriter err) throws IOException {
        if (!Files.exists(out.resolve(PredictJournal.FILE_NAME))) {
            if (OutputDir.outputsIn(out).isEmpty()) {
                err.println("maskrt: --resume: nothing to resume in " + out + "; starting a new run");
            }
            return null;
        }
        PredictJournal journal = PredictJournal.reopen(out);
        String difference = difference(journal.header(), header);
        if (difference != null) {
            journal.close();
            throw usage("--resume: " + journal.file() + " is from a run with other " + difference
                    + "; resume with the same options and images, or use --overwrite to start again");
        }
        return journal;
    }

    /** Where two journal headers differ, in words, or null when they are the same run. */
    private static String difference(JsonNode before, JsonNode now) {
        JsonNode s0 = before.path("settings"), s1 = now.path("settings");
        for (Iterator<String> it = s1.fieldNames(); it.hasNext(); ) {
            String name = it.next();
            // a setting newer than the journal (e.g. tta) reads as null there, i.e. the default
            JsonNode was = s0.has(name) ? s0.get(name) : com.fasterxml.jackson.databind.node.NullNode.getInstance();
            if (!s1.get(name).equals(was)) {
                return "settings: " + name + " was " + was + ", now " + s1.get(name);
            }
        }
        JsonNode i0 = before.path("inputs"), i1 = now.path("inputs");
        for (int i = 0; i < Math.max(i0.size(), i1.size()); i++) {
            if (!i1.path(i).equals(i0.path(i))) {
                return "images: input " + (i + 1) + " was " + (i < i0.size() ? i0.get(i) : "absent") + ", now "
                        + (i < i1.size() ? i1.get(i) : "absent");
            }
        }
        return null;
    }

    /** The journal's first line: every setting that changes the outputs, and the inputs with their ids. */
    private JsonNode journalHeader(Set<Format> chosen, List<InputImage> inputs) throws IOException {
        ObjectNode h = JSON.createObjectNode();
        h.put("maskrt_predict_journal", 1);
        ObjectNode s = h.putObject("settings");
        s.put("model", model.toAbsolutePath().normalize().toString());
        s.put("manifest_sha256", sha256(model.resolve("manifest.json")));
        ArrayNode f = s.putArray("format");
        chosen.forEach(x -> f.add(x.name()));
        s.put("overlays", overlays);
        if (scoreThreshold != null) s.put("score_thresh", scoreThreshold); else s.putNull("score_thresh");
        if (detectionsPerImage != null) s.put("detections_per_image", detectionsPerImage);
        else s.putNull("detections_per_image");
        s.put("min_pixels", minPixels);
        if (tta != null) s.put("tta", tta); else s.putNull("tta"); // null: the model's test_aug.enabled
        // null: fp32, the default (as in journals written before --precision existed)
        if (precision() != Precision.FP32) s.put("precision", precision().id()); else s.putNull("precision");
        // null: the default, the package's Winograd forms where it has them (as in journals from before --winograd)
        if (!winograd) s.put("winograd", false); else s.putNull("winograd");
        s.put("coco_gt", cocoGt == null ? null : cocoGt.toAbsolutePath().normalize().toString());
        ArrayNode in = h.putArray("inputs");
        for (InputImage i : inputs) in.addArray().add(i.id()).add(i.path().toString());
        return h;
    }

    private static String sha256(Path file) throws IOException {
        if (!Files.isRegularFile(file)) return ""; // the model package check names it
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private ImageRenderer renderer(Set<Format> chosen, Predictor predictor, List<InputImage> inputs)
            throws IOException {
        try {
            return new ImageRenderer(chosen, predictor.classNames(), inputs, cocoGt, minPixels,
                    predictor.inclusiveBoxes());
        } catch (IllegalArgumentException e) {
            throw usage("--coco-gt: " + e.getMessage());
        }
    }

    private static String describe(IOException e) {
        String reason = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        if (e instanceof java.nio.file.FileSystemException fs && fs.getReason() != null) reason = fs.getReason();
        else if (e instanceof java.nio.file.NoSuchFileException) reason = "the file system refused it: no such file";
        else if (e instanceof java.nio.file.AccessDeniedException) reason = "permission denied";
        else if (e instanceof java.nio.file.FileAlreadyExistsException x) reason = x.getFile() + " exists and is not a directory";
        return reason;
    }

    private CommandLine.ParameterException usage(String message) {
        return new CommandLine.ParameterException(spec.commandLine(), message);
    }
}
