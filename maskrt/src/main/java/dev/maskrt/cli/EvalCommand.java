package dev.maskrt.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.maskrt.eval.SartoriusMetric;
import dev.maskrt.eval.SartoriusMetric.ImageSize;
import dev.maskrt.eval.SartoriusScore;
import dev.maskrt.image.DecodedImage;
import dev.maskrt.image.ImageDecoder;
import dev.maskrt.output.PixelOrder;
import dev.maskrt.util.CsvReader;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code maskrt eval}: COCO AP/AR of a results JSON against a ground-truth JSON (pycocotools-exact), or the
 * Sartorius / DSB 2018 score of a Kaggle submission CSV against a ground-truth CSV (the same metric; Sartorius
 * numbers pixels row-major, DSB 2018 column-major).
 */
@Command(name = "eval", mixinStandardHelpOptions = true,
        description = {"Evaluate detections.",
            "COCO:      maskrt eval --gt GT.json --results RES.json --iou-type segm|bbox [--max-dets 1,10,100] [--json] [--per-category]",
            "Sartorius: maskrt eval --metric sartorius --gt train.csv --submission submission.csv [--json] [--per-image]",
            "DSB 2018:  maskrt eval --metric dsb --gt labels.csv --submission submission.csv [--images DIR] [--json] [--per-image]"})
final class EvalCommand implements Callable<Integer> {
    enum Metric { coco, sartorius, dsb }


    enum IouTypeOption { segm, bbox }

    @Option(names = "--metric", defaultValue = "coco", description = "coco (default), sartorius or dsb.")
    Metric metric;

    @Option(names = "--gt", required = true, paramLabel = "FILE",
            description = "Ground truth: COCO JSON, or the Kaggle CSV for --metric sartorius (train.csv) / dsb "
                    + "(ImageId,EncodedPixels[,Height,Width]).")
    Path gt;

    @Option(names = "--results", paramLabel = "FILE", description = "COCO results JSON (--metric coco).")
    Path results;

    @Option(names = "--iou-type", paramLabel = "segm|bbox", description = "COCO IoU type (--metric coco).")
    IouTypeOption iouType;

    @Option(names = "--max-dets", split = ",", paramLabel = "N", defaultValue = "1,10,100",
            description = "COCO maxDets, three values (default 1,10,100).")
    int[] maxDets;

    @Option(names = "--per-category", description = "Also print each category's AP (COCO).")
    boolean perCategory;

    @Option(names = "--submission", paramLabel = "FILE",
            description = "Kaggle submission CSV (--metric sartorius or dsb).")
    Path submission;

    @Option(names = "--images", paramLabel = "DIR",
            description = "--metric dsb or sartorius: folder of the images, named by their id plus .png/.tif/.jpg/.bmp; their sizes "
                    + "are used when the ground truth has no Height/Width columns.")
    Path images;

    @Option(names = "--per-image", description = "Also print each image's score (Sartorius, DSB).")
    boolean perImage;

    @Option(names = "--threads", defaultValue = "0", paramLabel = "N",
            description = "Worker threads (default: all cores).")
    int threads;

    @Option(names = "--json", description = "Print one JSON object instead of text.")
    boolean json;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    private static final ObjectMapper JSON = new ObjectMapper();

    @Override
    public Integer call() throws Exception {
        return metric == Metric.coco ? coco() : kaggle();
    }

    private int kaggle() throws Exception {
        require(submission != null, "--metric " + metric + " needs --submission FILE");
        forbid(results != null, "--results"); forbid(iouType != null, "--iou-type"); forbid(perCategory, "--per-category");
        checkThreads();
        if (images != null && !Files.isDirectory(images)) throw usage("--images " + images + ": not a directory");
        Map<String, ImageSize> sizes = images == null ? Map.of() : imageSizes(gt, images);
        PixelOrder order = metric == Metric.dsb ? PixelOrder.COLUMN_MAJOR : PixelOrder.ROW_MAJOR;
        SartoriusScore s = SartoriusMetric.evaluate(gt, submission, sizes, order, threads);
        warnAboutCoverage(s);
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            ObjectNode o = JSON.createObjectNode();
            o.put("score", s.score());
            if (perImage) {
                ObjectNode per = o.putObject("per_image");
                s.perImage().forEach(per::put);
            }
            out.println(JSON.writeValueAsString(o));
        } else {
            if (perImage) s.perImage().forEach((id, v) -> out.println(id + "\t" + fmt(v)));
            out.println("score: " + fmt(s.score()) + " (" + s.perImage().size() + " images)");
        }
        out.flush();
        return 0;
    }

    /**
     * A submission without rows, one that leaves ground-truth images out, or one whose last line has no line end (a
     * file cut short, possibly on a whole run) scores low without being malformed: say so on stderr.
     */
    private void warnAboutCoverage(SartoriusScore s) throws IOException {
        PrintWriter err = spec.commandLine().getErr();
        if (!endsWithLineEnd(submission)) {
            err.println("maskrt: warning: " + submission + ": the last line has no line end; if the file was cut short,"
                    + " its last row may have lost runs");
        }
        if (s.submissionRows() == 0) {
            err.println("maskrt: warning: " + submission + " has no rows (header only): every image scores as "
                    + "predicting nothing");
        } else if (!s.unmentioned().isEmpty()) {
            List<String> some = s.unmentioned().subList(0, Math.min(5, s.unmentioned().size()));
            err.println("maskrt: warning: " + submission + " has no rows for " + s.unmentioned().size() + " of "
                    + s.perImage().size() + " ground-truth images (" + String.join(", ", some)
                    + (s.unmentioned().size() > some.size() ? ", ..." : "") + "); they score as predicting nothing");
        }
        err.flush();
    }

    private int coco() throws Exception {
        require(results != null, "--metric coco needs --results FILE");
        require(iouType != null, "--metric coco needs --iou-type segm|bbox");
        forbid(submission != null, "--submission"); forbid(perImage, "--per-image");
        checkThreads();
        if (maxDets.length != 3) throw usage("--max-dets needs three values (like 1,10,100), got " + maxDets.length);
        for (int d : maxDets) if (d < 1) throw usage("--max-dets values must be >= 1, got " + d);
        return CocoReport.run(this);
    }

    /**
     * The size of each ground-truth image found under {@code dir} (the first of {@link InputFiles#IMAGE_EXTENSIONS}
     * that exists); an id without a file is left out, so that the metric names it if its rows carry no size.
     */
    private static Map<String, ImageSize> imageSizes(Path groundTruthCsv, Path dir) throws IOException {
        Map<String, ImageSize> sizes = new LinkedHashMap<>();
        ImageDecoder decoder = ImageDecoder.bgr();
        try (CsvReader csv = new CsvReader(groundTruthCsv)) {
            int idCol = csv.requireColumn("id", "ImageId");
            String[] row;
            while ((row = csv.next()) != null) {
                String id = row[idCol].trim();
                if (id.isEmpty() || sizes.containsKey(id)) continue;
                for (String ext : InputFiles.IMAGE_EXTENSIONS) {
                    Path file = dir.resolve(id + "." + ext);
                    if (Files.isRegularFile(file)) {
                        DecodedImage image = decoder.decode(file);
                        sizes.put(id, new ImageSize(image.height(), image.width()));
                        break;
                    }
                }
            }
        }
        return sizes;
    }

    private static boolean endsWithLineEnd(Path file) throws IOException {
        try (java.nio.channels.SeekableByteChannel c = Files.newByteChannel(file)) {
            if (c.size() == 0) return true;
            java.nio.ByteBuffer last = java.nio.ByteBuffer.allocate(1);
            c.position(c.size() - 1).read(last);
            return last.get(0) == '\n';
        }
    }

    private void checkThreads() {
        if (threads < 0 || threads > dev.maskrt.PredictorOptions.MAX_THREADS) {
            throw usage("--threads must be in 0.." + dev.maskrt.PredictorOptions.MAX_THREADS + " (0 = all cores), got "
                    + threads);
        }
    }

    static String fmt(double v) {
        return String.format(Locale.ROOT, "%.6f", v);
    }

    private void require(boolean ok, String message) {
        if (!ok) throw usage(message);
    }

    private void forbid(boolean given, String option) {
        if (given) throw usage(option + " does not apply to --metric " + metric);
    }

    private CommandLine.ParameterException usage(String message) {
        return new CommandLine.ParameterException(spec.commandLine(), message);
    }
}
