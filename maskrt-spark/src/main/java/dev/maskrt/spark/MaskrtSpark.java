package dev.maskrt.spark;

import dev.maskrt.ImageInput;
import dev.maskrt.Prediction;
import dev.maskrt.Predictor;
import dev.maskrt.error.PredictorClosedException;
import dev.maskrt.output.CocoRle;
import dev.maskrt.output.Instance;
import dev.maskrt.output.KaggleRle;
import dev.maskrt.output.NonOverlappingMasks;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * maskrt's Dataset API: a DataFrame of images in, one row per instance out, plus one row per image without instances
 * and one row per image that failed, so that no image is ever silently lost.
 *
 * <pre>{@code
 * Dataset<Row> images = spark.read().format("binaryFile").option("pathGlobFilter", "*.png").load("hdfs:///slides/");
 * Dataset<Row> rows = MaskrtSpark.predict(images, MaskrtSparkOptions.builder("hdfs:///models/cells.zip").build());
 * rows.filter("error IS NOT NULL").select("path", "error").show(false);   // the images that failed, and why
 * rows.filter("score > 0.9").groupBy("class_name").count().show();        // instances
 * }</pre>
 *
 * <p>Input: any DataFrame with {@code path} (string) and {@code content} (binary, the encoded image file), as Spark's
 * {@code binaryFile} source gives; an {@code image_id} (string) column, when present, names the images (else the file
 * name without extension). Output, {@link #SCHEMA}:
 * <ul>
 *   <li>{@code path}, {@code image_id}; {@code width}, {@code height} (pixels of the image);</li>
 *   <li>{@code instance}: 0, 1, ... in descending score order within the image (null: the image has no instance);</li>
 *   <li>{@code class_id} (the model's class index, from 0), {@code class_name}, {@code score};</li>
 *   <li>{@code bbox}: {@code [x, y, width, height]} in image pixels, as {@code coco_results.json} writes it;</li>
 *   <li>{@code coco_rle}: the mask's compressed COCO RLE counts (size {@code [height, width]}), as in
 *       {@code coco_results.json}; null for a box-only model (Faster R-CNN);</li>
 *   <li>{@code kaggle_rle}: the mask as a Kaggle submission row has it: overlaps with higher-scoring instances
 *       removed, runs in the pixel order of {@link MaskrtSparkOptions#kaggleFormat()}; null when the instance has
 *       fewer than {@code minPixels} pixels left (the submission leaves it out);</li>
 *   <li>{@code error}: null, or why the image failed (then every column but {@code path} and {@code image_id} is
 *       null).</li>
 * </ul>
 * Each executor JVM opens the model once (the first task that needs it) and its tasks share that predictor.
 */
public final class MaskrtSpark {
    /** The output rows' schema (see the class comment). */
    public static final StructType SCHEMA = new StructType(new StructField[] {
        field("path", DataTypes.StringType, false),
        field("image_id", DataTypes.StringType, true),
        field("width", DataTypes.IntegerType, true),
        field("height", DataTypes.IntegerType, true),
        field("instance", DataTypes.IntegerType, true),
        field("class_id", DataTypes.IntegerType, true),
        field("class_name", DataTypes.StringType, true),
        field("score", DataTypes.FloatType, true),
        field("bbox", DataTypes.createArrayType(DataTypes.DoubleType, false), true),
        field("coco_rle", DataTypes.StringType, true),
        field("kaggle_rle", DataTypes.StringType, true),
        field("error", DataTypes.StringType, true),
    });

    private MaskrtSpark() {}

    /**
     * Segments every image of {@code images} (lazily: nothing runs until an action).
     *
     * @param images a DataFrame with {@code path} and {@code content} columns (Spark's {@code binaryFile} source), and
     *     optionally {@code image_id}
     * @param options the model and the predictor's settings
     * @return the rows of {@link #SCHEMA}
     * @throws IllegalArgumentException when a column is missing or of another type, or the model location cannot
     *     reach the executors
     */
    public static Dataset<Row> predict(Dataset<Row> images, MaskrtSparkOptions options) {
        if (images == null || options == null) throw new IllegalArgumentException("images and options must not be null");
        requireColumn(images, "path", DataTypes.StringType);
        requireColumn(images, "content", DataTypes.BinaryType);
        boolean hasId = Arrays.asList(images.columns()).contains("image_id");
        if (hasId) requireColumn(images, "image_id", DataTypes.StringType);
        ModelLocation model = ModelLocation.prepare(images.sparkSession(), options.model());
        int threads = Tasks.predictorThreads(images.sparkSession(), options.threads());
        Column id = hasId ? images.col("image_id") : functions.lit(null).cast(DataTypes.StringType).as("image_id");
        return images.select(images.col("path"), images.col("content"), id)
                .mapPartitions(new InstanceRows(model, options, threads), Encoders.row(SCHEMA));
    }

    private static void requireColumn(Dataset<Row> df, String name, DataType type) {
        for (StructField f : df.schema().fields()) {
            if (f.name().equals(name)) {
                if (!f.dataType().equals(type)) {
                    throw new IllegalArgumentException("column '" + name + "' is " + f.dataType().simpleString()
                            + ", not " + type.simpleString());
                }
                return;
            }
        }
        throw new IllegalArgumentException("images: no column '" + name + "' (columns " + Arrays.toString(df.columns())
                + "); read the images with spark.read().format(\"binaryFile\")");
    }

    private static StructField field(String name, DataType type, boolean nullable) {
        return DataTypes.createStructField(name, type, nullable);
    }

    /** The file name without its extension. */
    static String stem(String path) {
        int slash = path.lastIndexOf('/');
        String name = path.substring(slash + 1);
        int dot = name.lastIndexOf('.');
        return dot > 0 ? name.substring(0, dot) : name;
    }

    /** One partition: (path, content, image_id) rows in, {@link #SCHEMA} rows out, image by image. */
    static final class InstanceRows implements MapPartitionsFunction<Row, Row> {
        private static final long serialVersionUID = 1L;
        private final ModelLocation model;
        private final MaskrtSparkOptions options;
        private final int threads;

        InstanceRows(ModelLocation model, MaskrtSparkOptions options, int threads) {
            this.model = model;
            this.options = options;
            this.threads = threads;
        }

        @Override
        public Iterator<Row> call(Iterator<Row> images) {
            if (!images.hasNext()) return Collections.emptyIterator();
            Predictor predictor = Tasks.predictor(model, options, threads);
            NonOverlappingMasks overlaps = new NonOverlappingMasks();
            return new Iterator<>() {
                private Iterator<Row> current = Collections.emptyIterator();

                @Override
                public boolean hasNext() {
                    while (!current.hasNext() && images.hasNext()) {
                        current = rows(predictor, overlaps, images.next()).iterator();
                    }
                    return current.hasNext();
                }

                @Override
                public Row next() {
                    if (!hasNext()) throw new NoSuchElementException();
                    return current.next();
                }
            };
        }

        /** One image's rows: its instances, one row without instance, or its error. */
        private List<Row> rows(Predictor predictor, NonOverlappingMasks overlaps, Row image) {
            String path = image.getString(0);
            byte[] content = (byte[]) image.get(1);
            String id = image.isNullAt(2) ? stem(path) : image.getString(2);
            if (content == null) return List.of(error(path, id, path + ": no content"));
            if (content.length > options.maxImageBytes()) {
                return List.of(error(path, id, path + ": " + content.length + " bytes, more than the "
                        + options.maxImageBytes() + " allowed (maxImageBytes)"));
            }
            try {
                Prediction p = predictor.predictAll(List.of(ImageInput.of(content, path))).get(0);
                if (!p.isSuccess()) return List.of(error(path, id, p.error().orElseThrow().getMessage()));
                return instanceRows(path, id, p, overlaps, predictor);
            } catch (PredictorClosedException e) {
                throw e; // the executor is shutting down: let Spark run the task elsewhere
            } catch (RuntimeException e) {
                return List.of(error(path, id, path + ": " + e));
            }
        }

        private List<Row> instanceRows(String path, String id, Prediction p, NonOverlappingMasks overlaps,
                                       Predictor predictor) {
            List<Instance> instances = p.instances();
            int w = p.width(), h = p.height();
            if (instances.isEmpty()) {
                return List.of(RowFactory.create(path, id, w, h, null, null, null, null, null, null, null, null));
            }
            // a box-only model (Faster R-CNN) has no masks: coco_rle and kaggle_rle are null
            boolean masks = instances.get(0).hasMask();
            String[] kaggle = masks ? kaggleRles(instances, h, w, overlaps) : new String[instances.size()];
            boolean inclusive = predictor.inclusiveBoxes(); // maskrcnn-benchmark's boxes: widths x1 - x0 + 1
            List<Row> rows = new ArrayList<>(instances.size());
            for (int k = 0; k < instances.size(); k++) {
                Instance i = instances.get(k);
                double[] bbox = inclusive
                        ? new double[] {i.x0(), i.y0(), i.x1() - i.x0() + 1f, i.y1() - i.y0() + 1f}
                        : new double[] {i.x0(), i.y0(), (double) i.x1() - (double) i.x0(), (double) i.y1() - (double) i.y0()};
                rows.add(RowFactory.create(path, id, w, h, k, i.classIndex(), i.className(), i.score(), bbox,
                        masks ? CocoRle.encode(i.mask()).toCompressedString() : null, kaggle[k], null));
            }
            return rows;
        }

        /**
         * Each instance's Kaggle RLE after overlap removal ({@link NonOverlappingMasks}, as the submission writers do),
         * null for the instances it drops.
         */
        private String[] kaggleRles(List<Instance> instances, int h, int w, NonOverlappingMasks overlaps) {
            // the resolver visits instances in a stable descending-score order and keeps a subsequence of it
            Integer[] order = new Integer[instances.size()];
            for (int k = 0; k < order.length; k++) order[k] = k;
            Arrays.sort(order, Comparator.comparingDouble((Integer k) -> instances.get(k).score()).reversed());
            List<Instance> sorted = new ArrayList<>(order.length);
            for (Integer k : order) sorted.add(instances.get(k));
            List<Instance> kept = overlaps.resolve(sorted, h, w, options.minPixels());
            String[] rles = new String[instances.size()];
            int j = 0;
            for (int s = 0; s < sorted.size() && j < kept.size(); s++) {
                Instance a = sorted.get(s), b = kept.get(j);
                if (a.classIndex() == b.classIndex() && a.score() == b.score() && a.x0() == b.x0() && a.y0() == b.y0()
                        && a.x1() == b.x1() && a.y1() == b.y1()) {
                    rles[order[s]] = KaggleRle.encode(b.mask(), options.kaggleFormat().order());
                    j++;
                }
            }
            return rles;
        }

        private static Row error(String path, String id, String message) {
            return RowFactory.create(path, id, null, null, null, null, null, null, null, null, null,
                    String.valueOf(message).replace('\n', ' '));
        }
    }
}
