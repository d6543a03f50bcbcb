package dev.maskrt.eval;

import dev.maskrt.output.CompactMask;
import dev.maskrt.output.KaggleRle;
import dev.maskrt.output.PixelOrder;
import dev.maskrt.util.Workers;
import dev.maskrt.util.CsvReader;
import dev.maskrt.error.InputFormatException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The Sartorius Cell Instance Segmentation (2021) / 2018 Data Science Bowl metric: for each image and each IoU
 * threshold t in 0.50, 0.55, ..., 0.95, {@code TP(t) / (TP(t) + FP(t) + FN(t))}; the image's score is the mean
 * over the ten thresholds and the total is the mean over images.
 *
 * <p>Rules, all of them choices where the competitions' text is silent:
 * <ul>
 *   <li>A prediction matches a ground-truth object at t only when IoU is <b>strictly greater</b> than t; IoU and
 *       thresholds are compared exactly in integers ({@code 20 * intersection > k * union} for t = k / 20), so an
 *       IoU of exactly 0.75 does not match at 0.75.</li>
 *   <li>Matching is one-to-one: pairs with IoU &gt; 0.5 are taken greedily in descending IoU (ties: lower ground
 *       truth row, then lower prediction row), each object and prediction at most once. A duplicate prediction of
 *       a matched object is a false positive. (With IoU &gt; 0.5 and disjoint predictions — which the competitions
 *       require — the matching is unique anyway.)</li>
 *   <li>An image with no ground truth and no prediction scores 1; with either side empty it scores 0.</li>
 *   <li>An image of the ground truth that the submission does not mention has no predictions; an image id of the
 *       submission that the ground truth does not know is an error.</li>
 * </ul>
 *
 * <p>IoUs are computed on runs, never on full images, after a bounding-range test, so scoring thousands of images
 * with hundreds of instances each takes seconds. Thread-safe (no state); results do not depend on the thread count.
 */
public final class SartoriusMetric {
    /** Number of IoU thresholds: 0.50 to 0.95 in steps of 0.05. */
    public static final int THRESHOLD_COUNT = 10;

    private SartoriusMetric() {}

    /**
     * @param k the threshold's index, 0..9
     * @return threshold {@code k}: {@code (10 + k) / 20}
     */
    public static double threshold(int k) {
        if (k < 0 || k >= THRESHOLD_COUNT) throw new IllegalArgumentException("k must be in 0..9, got " + k);
        return (10 + k) / 20.0;
    }

    /**
     * The size of an image whose size the ground-truth CSV does not carry.
     *
     * @param height rows, pixels
     * @param width columns, pixels
     */
    public record ImageSize(int height, int width) {
        /**
         * @param height rows, pixels, {@code >= 0}
         * @param width columns, pixels, {@code >= 0}
         * @throws IllegalArgumentException when a side is negative or the image has over 2^31 - 1 pixels
         */
        public ImageSize {
            if (height < 0 || width < 0 || (long) height * width > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("image size " + width + "x" + height + " is not usable");
            }
        }
    }

    /**
     * The score of one image.
     *
     * @param groundTruth the image's objects (may overlap), all masks over the same image size
     * @param predictions the predicted masks (may overlap: duplicates are false positives)
     * @return the mean over the ten thresholds of TP/(TP+FP+FN), in [0, 1]
     */
    public static double imageScore(List<CompactMask> groundTruth, List<CompactMask> predictions) {
        Objects.requireNonNull(groundTruth, "groundTruth");
        Objects.requireNonNull(predictions, "predictions");
        Integer h = null, w = null;
        for (List<CompactMask> list : List.of(groundTruth, predictions)) {
            for (CompactMask m : list) {
                if (h == null) { h = m.imageHeight(); w = m.imageWidth(); }
                if (m.imageHeight() != h || m.imageWidth() != w) {
                    throw new IllegalArgumentException("masks are over different image sizes: " + w + "x" + h
                            + " and " + m.imageWidth() + "x" + m.imageHeight());
                }
            }
        }
        RunMask[] gt = groundTruth.stream().map(m -> RunMask.of(m, PixelOrder.ROW_MAJOR)).toArray(RunMask[]::new);
        RunMask[] pred = predictions.stream().map(m -> RunMask.of(m, PixelOrder.ROW_MAJOR)).toArray(RunMask[]::new);
        return score(gt, pred);
    }

    /**
     * {@link #evaluate(Path, Path, Map, PixelOrder, int)} with sizes from the CSV, row-major, one thread.
     *
     * @param groundTruthCsv Kaggle {@code train.csv} with {@code width}/{@code height} columns
     * @param submissionCsv the submission
     * @return the score, per image and overall
     * @throws InputFormatException naming file, line and field for a malformed row
     * @throws java.io.IOException when a file cannot be read
     */
    public static SartoriusScore evaluate(Path groundTruthCsv, Path submissionCsv) throws IOException {
        return evaluate(groundTruthCsv, submissionCsv, Map.of(), PixelOrder.ROW_MAJOR, 1);
    }

    /**
     * Scores a submission file against a ground-truth file.
     *
     * @param groundTruthCsv Kaggle {@code train.csv}: columns {@code id} (or {@code ImageId}), {@code annotation}
     *     (or {@code EncodedPixels}), optionally {@code width} and {@code height}, others ignored; one row per
     *     object; an empty annotation declares an image without objects
     * @param submissionCsv columns {@code id} (or {@code ImageId}) and {@code predicted} (or {@code EncodedPixels});
     *     one row per predicted object; an empty field declares an image without predictions
     * @param sizes sizes of images whose rows lack {@code width}/{@code height} columns (may be empty)
     * @param order pixel numbering of both files (row-major for Sartorius, column-major for DSB 2018)
     * @param threads images are scored in parallel on this many threads (0: all cores); the result does not depend
     *     on it
     * @return the mean over ground-truth images, each image's score in ground-truth order, the ground-truth images
     *     the submission does not mention, and the submission's row count
     * @throws InputFormatException naming file, line and field for malformed rows, bad runs, unknown ids, sizes
     *     missing or in conflict; the first such error in file order is reported
     * @throws java.io.IOException when a file cannot be read
     */
    public static SartoriusScore evaluate(Path groundTruthCsv, Path submissionCsv, Map<String, ImageSize> sizes,
                                          PixelOrder order, int threads) throws IOException {
        try (Workers workers = Workers.of(threads)) {
            return evaluate(groundTruthCsv, submissionCsv, sizes, order, workers);
        }
    }

    static SartoriusScore evaluate(Path groundTruthCsv, Path submissionCsv, Map<String, ImageSize> sizes,
                                   PixelOrder order, Workers workers) throws IOException {
        Objects.requireNonNull(sizes, "sizes");
        Objects.requireNonNull(order, "order");
        Objects.requireNonNull(workers, "workers");
        Map<String, ImageRows> images = new LinkedHashMap<>();
        String[] rleField = new String[2]; // the run-length column's name in each file, for messages
        try (CsvReader csv = new CsvReader(groundTruthCsv)) {
            int idCol = csv.requireColumn("id", "ImageId");
            int rleCol = csv.requireColumn("annotation", "EncodedPixels");
            rleField[0] = csv.header()[rleCol];
            int wCol = csv.column("width", "Width"), hCol = csv.column("height", "Height");
            String[] row;
            while ((row = csv.next()) != null) {
                String id = row[idCol].trim();
                if (id.isEmpty()) throw csv.error(csv.header()[idCol], "empty image id");
                ImageRows img = images.computeIfAbsent(id, k -> new ImageRows());
                ImageSize size;
                if (wCol >= 0 && hCol >= 0) {
                    size = new ImageSize(positiveInt(csv, row, hCol), positiveInt(csv, row, wCol));
                } else {
                    size = sizes.get(id);
                    if (size == null) {
                        throw csv.error(csv.header()[idCol], "no size for image '" + id
                                + "': the file has no width/height columns and no size was supplied (maskrt eval: "
                                + "--images DIR)");
                    }
                }
                if (img.size != null && !img.size.equals(size)) {
                    throw csv.error("width/height", "image '" + id + "' is " + size.width() + "x" + size.height()
                            + " here but " + img.size.width() + "x" + img.size.height() + " on an earlier line");
                }
                img.size = size;
                String rle = row[rleCol];
                if (!rle.isBlank()) img.gt.add(new Row(csv.line(), rle));
            }
        }
        Path gtFile = groundTruthCsv;
        java.util.Set<String> mentioned = new java.util.HashSet<>();
        long submissionRows = 0;
        try (CsvReader csv = new CsvReader(submissionCsv)) {
            int idCol = csv.requireColumn("id", "ImageId");
            int rleCol = csv.requireColumn("predicted", "EncodedPixels");
            rleField[1] = csv.header()[rleCol];
            String[] row;
            while ((row = csv.next()) != null) {
                String id = row[idCol].trim();
                ImageRows img = images.get(id);
                if (img == null) {
                    throw csv.error(csv.header()[idCol], "unknown image id '" + id + "' (not in " + gtFile + ")");
                }
                mentioned.add(id);
                submissionRows++;
                String rle = row[rleCol];
                if (!rle.isBlank()) img.pred.add(new Row(csv.line(), rle));
            }
        }
        List<String> ids = new ArrayList<>(images.keySet());
        List<ImageRows> rows = new ArrayList<>(images.values());
        double[] scores = new double[ids.size()];
        InputFormatException[] errors = new InputFormatException[ids.size()];
        long[] errorKeys = new long[ids.size()];
        Arrays.fill(errorKeys, Long.MAX_VALUE);
        workers.parallelFor(ids.size(), 16, (from, to) -> {
            for (int i = from; i < to; i++) {
                ImageRows img = rows.get(i);
                RunMask[] gt = new RunMask[img.gt.size()];
                RunMask[] pred = new RunMask[img.pred.size()];
                int line = order.lineLength(img.size.height(), img.size.width());
                long pixels = (long) img.size.height() * img.size.width();
                try {
                    for (int k = 0; k < gt.length; k++) {
                        gt[k] = parse(img.gt.get(k), pixels, line, groundTruthCsv, rleField[0], 0);
                    }
                    for (int k = 0; k < pred.length; k++) {
                        pred[k] = parse(img.pred.get(k), pixels, line, submissionCsv, rleField[1], 1);
                    }
                } catch (RowError e) {
                    errors[i] = e.error;
                    errorKeys[i] = e.key;
                    continue;
                }
                scores[i] = score(gt, pred);
            }
        });
        int worst = -1;
        for (int i = 0; i < errors.length; i++) {
            if (errors[i] != null && (worst < 0 || errorKeys[i] < errorKeys[worst])) worst = i;
        }
        if (worst >= 0) throw errors[worst];
        Map<String, Double> perImage = new LinkedHashMap<>();
        double sum = 0;
        for (int i = 0; i < ids.size(); i++) {
            perImage.put(ids.get(i), scores[i]);
            sum += scores[i];
        }
        double mean = ids.isEmpty() ? 0.0 : sum / ids.size();
        List<String> unmentioned = ids.stream().filter(id -> !mentioned.contains(id)).toList();
        return new SartoriusScore(mean, Collections.unmodifiableMap(perImage), unmentioned, submissionRows);
    }

    /** Parses one row's runs; a bad row becomes a RowError ordered by (file, line): ground truth first. */
    private static RunMask parse(Row row, long pixels, int lineLength, Path file, String field, int fileIndex) {
        try {
            return new RunMask(KaggleRle.parse(row.rle, pixels), lineLength);
        } catch (InputFormatException e) {
            InputFormatException located = InputFormatException.at(file, "line " + row.line, field,
                    e.getMessage() + " (image has " + pixels + " pixels)");
            throw new RowError(located, ((long) fileIndex << 48) | row.line);
        }
    }

    /** The score of one image from its runs. */
    static double score(RunMask[] gt, RunMask[] pred) {
        if (gt.length == 0 && pred.length == 0) return 1.0;
        if (gt.length == 0 || pred.length == 0) return 0.0;
        // candidate pairs: IoU > 0.5, i.e. 2 * intersection > union
        List<long[]> pairs = new ArrayList<>();
        for (int g = 0; g < gt.length; g++) {
            for (int p = 0; p < pred.length; p++) {
                if (!gt[g].boundsMeet(pred[p])) continue;
                long inter = gt[g].intersection(pred[p]);
                long union = gt[g].area + pred[p].area - inter;
                if (2 * inter > union) pairs.add(new long[] {inter, union, g, p});
            }
        }
        pairs.sort((a, b) -> {
            int c = Long.compare(b[0] * a[1], a[0] * b[1]); // IoU descending, exact
            if (c != 0) return c;
            c = Long.compare(a[2], b[2]);
            return c != 0 ? c : Long.compare(a[3], b[3]);
        });
        boolean[] gtUsed = new boolean[gt.length];
        boolean[] predUsed = new boolean[pred.length];
        double sum = 0;
        for (int k = 0; k < THRESHOLD_COUNT; k++) {
            Arrays.fill(gtUsed, false);
            Arrays.fill(predUsed, false);
            int tp = 0;
            for (long[] pair : pairs) {
                if (20 * pair[0] <= (10 + k) * pair[1]) break; // sorted: no later pair passes either
                int g = (int) pair[2], p = (int) pair[3];
                if (gtUsed[g] || predUsed[p]) continue;
                gtUsed[g] = true;
                predUsed[p] = true;
                tp++;
            }
            sum += (double) tp / (gt.length + pred.length - tp);
        }
        return sum / THRESHOLD_COUNT;
    }

    private static int positiveInt(CsvReader csv, String[] row, int col) {
        String text = row[col].trim();
        try {
            int v = Integer.parseInt(text);
            if (v > 0) return v;
        } catch (NumberFormatException ignored) {
            // reported below
        }
        throw csv.error(csv.header()[col], "'" + text + "' is not a positive integer");
    }

    private static final class ImageRows {
        ImageSize size;
        final List<Row> gt = new ArrayList<>();
        final List<Row> pred = new ArrayList<>();
    }

    private record Row(long line, String rle) {}

    private static final class RowError extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final transient InputFormatException error;
        final long key;

        RowError(InputFormatException error, long key) {
            super(null, null, false, false);
            this.error = error;
            this.key = key;
        }
    }
}
