package dev.maskrt.spark;

import dev.maskrt.Predictor;
import dev.maskrt.cli.ImageRecord;
import dev.maskrt.cli.PredictOutputs;
import dev.maskrt.config.Backend;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.concurrent.Callable;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code maskrt-spark predict}: {@code maskrt predict} as a Spark job. The driver lists the images and gives them
 * {@code maskrt predict}'s ids; the executors segment them in parallel, each partition rendering its images' output
 * texts with {@code maskrt predict}'s own code; the driver then merges them in image order into the same final files
 * ({@code coco_results.json}, {@code submission_FORMAT.csv}, {@code coco_image_ids.json}), each written to a temporary
 * file and renamed into place. Every failed image is named on stderr ({@code maskrt: failed: FILE: why}); exit status
 * 0 when every image succeeded, 1 when some failed, 2 for usage or model-package errors.
 *
 * <p>Re-runs: an {@code --out} that already holds maskrt outputs is refused unless {@code --overwrite} is given, which
 * removes them only once the model package and the options were accepted (as {@code maskrt predict} does). There is no
 * journal and no {@code --resume}: Spark re-runs failed tasks itself, and a job that dies is run again whole.
 */
@Command(name = "predict", mixinStandardHelpOptions = true,
        description = {"Run a model package on images with Apache Spark and write maskrt predict's files.",
            "maskrt-spark predict --model PKG|PKG.zip --images DIR|FILE|GLOB... --out DIR [--format coco,sartorius,dsb,airbus] "
                + "[--master URL] [--partitions N] [--threads N] [--score-thresh X] [--tta | --no-tta] [--coco-gt GT.json] "
                + "[--overwrite]",
            "Exit status: 0 all images done, 1 some image failed, 2 usage or model package error."})
final class PredictJob implements Callable<Integer> {
    @Option(names = "--model", required = true, paramLabel = "PKG",
            description = {"Model package: a directory at the same path on the driver and every executor (shared file "
                + "system), or a .zip of it (local path or Hadoop URI) that the job ships to the executors."})
    String model;

    @Option(names = "--images", required = true, arity = "1..*", paramLabel = "DIR|FILE|GLOB",
            description = "Image files, folders (their PNG/JPEG/TIFF/BMP files, sorted by name) or quoted globs; local "
                + "paths or URIs (hdfs://, s3a://).")
    List<String> images;

    @Option(names = "--out", required = true, paramLabel = "DIR",
            description = "Output directory on the driver's file system (created).")
    Path out;

    @Option(names = "--format", split = ",", paramLabel = "FORMAT", defaultValue = "coco",
            description = "coco (default), sartorius, dsb, airbus; several allowed.")
    List<String> formats;

    @Option(names = "--master", paramLabel = "URL",
            description = "Spark master (default: spark-submit's, else local[*]: local mode on every core).")
    String master;

    @Option(names = "--partitions", defaultValue = "0", paramLabel = "N",
            description = "Partitions of the image list (default 0: max(2 x default parallelism, images / 64)).")
    int partitions;

    @Option(names = "--threads", defaultValue = "0", paramLabel = "N",
            description = "Threads of each image's prediction (default 0: spark.task.cpus, i.e. the executor's cores "
                + "divided among the tasks it runs at once).")
    int threads;

    @Option(names = "--backend", defaultValue = "auto", paramLabel = "auto|cpu|tensorrt",
            description = "auto (default): TensorRT on the GPU Spark gives a task, else CPU.")
    String backend;

    @Option(names = "--fp16", description = "TensorRT: build FP16 engines.")
    boolean fp16;

    @Option(names = "--precision", defaultValue = "fp32", paramLabel = "fp32|int8",
            description = "fp32 (default), or int8: the package's int8 graphs on the CPU (as maskrt predict).")
    String precision;

    @Option(names = "--winograd", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "CPU: the package's Winograd graphs where it has them (default; as maskrt predict).")
    boolean winograd;

    @Option(names = "--memory-arena", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "CPU: keep ONNX Runtime's memory arena (default; as maskrt predict).")
    boolean memoryArena;

    @Option(names = "--score-thresh", paramLabel = "X", description = "Score threshold in [0, 1] (default: the model's).")
    Float scoreThreshold;

    @Option(names = "--detections-per-image", paramLabel = "N",
            description = "Detections per image, >= 1 (default: the model's).")
    Integer detectionsPerImage;

    @Option(names = "--tta", negatable = true,
            description = "Test-time augmentation on or off (default: the model's test_aug.enabled).")
    Boolean tta;

    @Option(names = "--min-pixels", defaultValue = "1", paramLabel = "N",
            description = "Kaggle formats: drop instances with fewer pixels after overlap removal (default 1).")
    int minPixels;

    @Option(names = "--max-image-bytes", defaultValue = "1g", paramLabel = "SIZE",
            description = "Refuse image files larger than this, before reading them (default 1g; k, m, g suffixes).")
    String maxImageBytes;

    @Option(names = "--coco-gt", paramLabel = "GT.json",
            description = "COCO ground truth (on the driver) giving image ids (by file_name) and category ids (by name).")
    Path cocoGt;

    @Option(names = "--overwrite", description = "Replace the maskrt outputs already in --out.")
    boolean overwrite;

    @Option(names = "--resume", hidden = true)
    boolean resume;

    @Option(names = "--overlays", hidden = true)
    boolean overlays;

    @Option(names = "--verbose-spark", description = "Keep Spark's INFO log (default: warnings only).")
    boolean verboseSpark;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        MaskrtSparkOptions options = checkOptions();
        PrintWriter err = spec.commandLine().getErr();
        prepareOut();
        List<String> existing = PredictOutputs.outputsIn(out);
        if (!existing.isEmpty() && !overwrite) {
            throw usage("--out " + out + " already holds maskrt outputs " + existing
                    + ": use --overwrite to replace them (maskrt-spark has no --resume; a job is run again whole)");
        }
        // a session already running in this JVM (an application that calls Main.execute) is used and left running
        boolean ours = SparkSession.getDefaultSession().isEmpty();
        SparkSession.Builder builder = SparkSession.builder().appName("maskrt-spark predict");
        if (ours && !verboseSpark) builder.config("spark.log.level", "WARN");
        if (master != null) builder.master(master);
        else if (!new org.apache.spark.SparkConf().contains("spark.master")) builder.master("local[*]");
        SparkSession spark = builder.getOrCreate();
        if (!verboseSpark && ours) spark.sparkContext().setLogLevel("WARN");
        try {
            return run(spark, options, err);
        } finally {
            if (ours) spark.stop();
        }
    }

    private int run(SparkSession spark, MaskrtSparkOptions options, PrintWriter err) throws IOException {
        long start = System.nanoTime();
        Inputs inputs = Inputs.collect(images, spark.sparkContext().hadoopConfiguration(), err);
        if (inputs.size() == 0) throw usage("--images: no image files found in " + images);
        ModelLocation location;
        try {
            location = ModelLocation.prepare(spark, model);
        } catch (IllegalArgumentException e) {
            throw usage("--model: " + e.getMessage());
        }
        int predictorThreads = Tasks.predictorThreads(spark, options.threads());
        // the driver opens the model first: a bad package fails here, once, naming the file and field (and in local
        // mode the executors then use this very predictor)
        long listed = System.nanoTime();
        Predictor driverSide = Tasks.predictor(location, options, predictorThreads);
        long opened = System.nanoTime();
        String boxOnly = PredictOutputs.boxOnlyRefusal(model, driverSide.hasMasks(), formats); // as maskrt predict
        if (boxOnly != null) throw usage(boxOnly);
        PredictOutputs.Plan plan;
        try {
            plan = PredictOutputs.plan(inputs.files(), inputs.names(), formats, cocoGt, minPixels, driverSide);
        } catch (IllegalArgumentException e) {
            throw usage((cocoGt != null ? "--coco-gt: " : "--format: ") + e.getMessage());
        }
        if (overwrite) PredictOutputs.clear(out); // only now that the model and options were accepted

        List<Row> rows = new ArrayList<>(inputs.size());
        for (int i = 0; i < inputs.size(); i++) {
            PredictOutputs.Input in = plan.inputs().get(i);
            String read = Inputs.uri(inputs.names().get(i)) == null ? inputs.files().get(i).toString() : in.path();
            rows.add(RowFactory.create((long) i, read, in.path(), in.id(), in.fileId(), in.cocoImageId(), in.cocoKey()));
        }
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        int slices = partitions > 0 ? partitions
                : Math.max(1, Math.min(rows.size(), Math.max(2 * jsc.defaultParallelism(), rows.size() / 64)));
        // parallelize keeps the list's order: partition k holds a contiguous run of images, so reading the partitions
        // in order gives the images in input order without a sort
        JavaRDD<Row> rdd = jsc.parallelize(rows, slices);
        JavaRDD<Row> records = rdd.mapPartitions(new ImageRecords(location, options, predictorThreads, plan.spec()))
                .persist(StorageLevel.MEMORY_AND_DISK());
        try {
            long count = records.count(); // the parallel pass: every partition segmented at once
            long predicted = System.nanoTime();
            if (count != rows.size()) {
                throw new IllegalStateException("Spark returned " + count + " records for " + rows.size() + " images");
            }
            Map<String, String> failed = new LinkedHashMap<>();
            List<String> kaggle = ImageRecords.kaggleFormats(plan.spec());
            Iterator<ImageRecord> done = successes(records.toLocalIterator(), kaggle, failed);
            PredictOutputs.Totals totals = PredictOutputs.write(out, plan, done);
            double seconds = (System.nanoTime() - start) / 1e9;
            PrintWriter stdout = spec.commandLine().getOut();
            stdout.printf(Locale.ROOT, "maskrt-spark predict: %d images done, %d instances, %d failed; outputs in %s "
                            + "(%.1f s: listing %.1f s, model %.1f s, images %.1f s, merge %.1f s; %.2f images/s; "
                            + "%d partitions, master %s)%n", totals.images(), totals.instances(),
                    failed.size(), out, seconds, (listed - start) / 1e9, (opened - listed) / 1e9,
                    (predicted - opened) / 1e9, (System.nanoTime() - predicted) / 1e9, rows.size() / seconds, slices,
                    spark.sparkContext().master());
            stdout.flush();
            failed.forEach((f, why) -> err.println(PredictOutputs.failedLine(f, why)));
            err.flush();
            return failed.isEmpty() ? 0 : 1;
        } finally {
            records.unpersist();
        }
    }

    /** The successful images' records, in order; failed ones go to {@code failed} as they pass. */
    private static Iterator<ImageRecord> successes(Iterator<Row> rows, List<String> kaggle, Map<String, String> failed) {
        return new Iterator<>() {
            private ImageRecord next;
            private long expected;

            @Override
            public boolean hasNext() {
                while (next == null && rows.hasNext()) {
                    Row r = rows.next();
                    if (r.getLong(0) != expected) {
                        throw new IllegalStateException("image " + r.getLong(0) + " came back where image " + expected
                                + " was expected: the merge needs the input order");
                    }
                    expected++;
                    if (!r.isNullAt(6)) {
                        failed.put(r.getString(2), r.getString(6));
                        continue;
                    }
                    String[] texts = (String[]) r.get(5);
                    Map<String, String> byFormat = new LinkedHashMap<>();
                    for (int i = 0; i < kaggle.size(); i++) byFormat.put(kaggle.get(i), texts[i]);
                    next = new ImageRecord(r.getString(1), r.getString(2), r.getInt(3), r.isNullAt(4) ? null : r.getString(4),
                            byFormat);
                }
                return next != null;
            }

            @Override
            public ImageRecord next() {
                if (!hasNext()) throw new NoSuchElementException();
                ImageRecord r = next;
                next = null;
                return r;
            }
        };
    }

    private MaskrtSparkOptions checkOptions() {
        if (resume) throw usage("--resume: maskrt-spark has no journal; run the job again (with --overwrite)");
        if (overlays) throw usage("--overlays: not written by maskrt-spark; run maskrt predict --overlays on the images you want to see");
        if (partitions < 0) throw usage("--partitions must be >= 0, got " + partitions);
        if (minPixels < 0) throw usage("--min-pixels must be >= 0, got " + minPixels);
        long bytes = PredictOutputs.parseSize(maxImageBytes);
        if (bytes < 1) throw usage("--max-image-bytes must be a size >= 1 like 500m or 2g, got '" + maxImageBytes + "'");
        Backend b;
        try {
            b = Backend.valueOf(backend.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw usage("--backend must be auto, cpu or tensorrt, got '" + backend + "'");
        }
        dev.maskrt.config.Precision p;
        try {
            p = dev.maskrt.config.Precision.parse(precision.trim());
        } catch (IllegalArgumentException e) {
            p = null;
        }
        if (p == null || p == dev.maskrt.config.Precision.FP16) {
            throw usage("--precision must be fp32 or int8, got '" + precision + "'");
        }
        for (String f : formats) {
            if (!PredictOutputs.FORMATS.contains(f.trim().toLowerCase(Locale.ROOT))) {
                throw usage("--format: '" + f + "' is not one of " + PredictOutputs.FORMATS);
            }
        }
        try {
            MaskrtSparkOptions.Builder o = MaskrtSparkOptions.builder(model).threads(threads).backend(b).fp16(fp16)
                    .maxImageBytes(bytes).minPixels(minPixels).precision(p).winograd(winograd)
                    .memoryArena(memoryArena);
            if (scoreThreshold != null) o.scoreThreshold(scoreThreshold);
            if (detectionsPerImage != null) o.detectionsPerImage(detectionsPerImage);
            if (tta != null) o.tta(tta);
            return o.build();
        } catch (IllegalArgumentException e) {
            throw usage(e.getMessage().replace("threads", "--threads").replace("scoreThreshold", "--score-thresh")
                    .replace("detectionsPerImage", "--detections-per-image"));
        }
    }

    private void prepareOut() {
        if (Files.exists(out) && !Files.isDirectory(out)) throw usage("--out " + out + ": exists and is not a directory");
        try {
            Files.createDirectories(out);
        } catch (IOException e) {
            throw usage("--out " + out + ": cannot create this directory (" + e.getMessage() + ")");
        }
        if (!Files.isWritable(out)) throw usage("--out " + out + ": directory is not writable");
    }

    private CommandLine.ParameterException usage(String message) {
        return new CommandLine.ParameterException(spec.commandLine(), message);
    }
}
