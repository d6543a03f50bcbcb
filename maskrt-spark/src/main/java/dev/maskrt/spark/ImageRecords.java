package dev.maskrt.spark;

import dev.maskrt.ImageInput;
import dev.maskrt.Prediction;
import dev.maskrt.Predictor;
import dev.maskrt.cli.ImageRecord;
import dev.maskrt.cli.PredictOutputs;
import dev.maskrt.error.PredictorClosedException;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * The job's per-image step: an input row ({@link #INPUT}) in, the image's output texts out ({@link #OUTPUT}: what
 * {@code maskrt predict} journals for it, rendered by the same code, {@link PredictOutputs.Renderer}), or its error.
 * The job runs it on a plain RDD of rows: no SQL plan, code generation or columnar cache, whose first-job cost was
 * ~20 s of CPU on the benchmark machine.
 */
final class ImageRecords implements FlatMapFunction<Iterator<Row>, Row> {
    private static final long serialVersionUID = 1L;

    /** index (input order), read (local path or URI to read), path (as named), id, file_id, coco_image_id, coco_key. */
    static final StructType INPUT = new StructType()
            .add("index", DataTypes.LongType, false)
            .add("read", DataTypes.StringType, false)
            .add("path", DataTypes.StringType, false)
            .add("id", DataTypes.StringType, false)
            .add("file_id", DataTypes.StringType, false)
            .add("coco_image_id", DataTypes.LongType, true)
            .add("coco_key", DataTypes.StringType, true);

    /** index, id, path, instances, coco (records text), rows (one text per Kaggle format of the spec), error. */
    static final StructType OUTPUT = new StructType()
            .add("index", DataTypes.LongType, false)
            .add("id", DataTypes.StringType, false)
            .add("path", DataTypes.StringType, false)
            .add("instances", DataTypes.IntegerType, true)
            .add("coco", DataTypes.StringType, true)
            .add("rows", DataTypes.createArrayType(DataTypes.StringType, true), true)
            .add("error", DataTypes.StringType, true);

    private final ModelLocation model;
    private final MaskrtSparkOptions options;
    private final int threads;
    private final PredictOutputs.Spec spec;

    ImageRecords(ModelLocation model, MaskrtSparkOptions options, int threads, PredictOutputs.Spec spec) {
        this.model = model;
        this.options = options;
        this.threads = threads;
        this.spec = spec;
    }

    /** The Kaggle formats of the spec, in the order of the {@code rows} column. */
    static List<String> kaggleFormats(PredictOutputs.Spec spec) {
        return spec.formats().stream().filter(f -> !f.equals("coco")).toList();
    }

    @Override
    public Iterator<Row> call(Iterator<Row> inputs) throws IOException {
        if (!inputs.hasNext()) return Collections.emptyIterator();
        Predictor predictor = Tasks.predictor(model, options, threads);
        PredictOutputs.Renderer renderer = spec.renderer();
        List<String> kaggle = kaggleFormats(spec);
        Configuration hadoop = new Configuration();
        return new Iterator<>() {
            @Override
            public boolean hasNext() {
                return inputs.hasNext();
            }

            @Override
            public Row next() {
                return record(predictor, renderer, kaggle, hadoop, inputs.next());
            }
        };
    }

    private Row record(Predictor predictor, PredictOutputs.Renderer renderer, List<String> kaggle,
                       Configuration hadoop, Row in) {
        long index = in.getLong(0);
        String read = in.getString(1), path = in.getString(2), id = in.getString(3);
        PredictOutputs.Input input = new PredictOutputs.Input(path, id, in.getString(4),
                in.isNullAt(5) ? null : in.getLong(5), in.isNullAt(6) ? null : in.getString(6));
        String error;
        try {
            Prediction p = predictor.predictAll(List.of(image(read, path, hadoop))).get(0);
            if (p.isSuccess()) {
                ImageRecord r = renderer.render(input, p);
                List<String> rows = new ArrayList<>(kaggle.size());
                for (String f : kaggle) rows.add(r.rows().getOrDefault(f, ""));
                return RowFactory.create(index, id, path, r.instances(), r.coco(), rows.toArray(new String[0]), null);
            }
            error = p.error().orElseThrow().getMessage();
        } catch (PredictorClosedException e) {
            throw e; // the executor is shutting down: let Spark run the task elsewhere
        } catch (IOException | RuntimeException e) {
            error = String.valueOf(e.getMessage()); // as maskrt predict counts a rendering failure
        }
        return RowFactory.create(index, id, path, null, null, null, error);
    }

    /** A local file as {@code maskrt predict} reads it (same checks, same messages); other URIs through Hadoop. */
    private ImageInput image(String read, String path, Configuration hadoop) throws IOException {
        URI uri = Inputs.uri(read);
        if (uri == null) return ImageInput.of(Path.of(read));
        FileSystem fs = FileSystem.get(uri, hadoop);
        org.apache.hadoop.fs.Path p = new org.apache.hadoop.fs.Path(uri);
        FileStatus status = fs.getFileStatus(p);
        if (!status.isFile()) throw new IOException(path + ": not a regular file");
        if (status.getLen() > options.maxImageBytes()) {
            throw new IOException(path + ": " + status.getLen() + " bytes, more than --max-image-bytes ("
                    + options.maxImageBytes() + ")");
        }
        byte[] bytes = new byte[(int) status.getLen()];
        try (InputStream s = fs.open(p)) {
            int off = 0;
            while (off < bytes.length) {
                int n = s.read(bytes, off, bytes.length - off);
                if (n < 0) throw new IOException(path + ": ended after " + off + " of " + bytes.length + " bytes");
                off += n;
            }
        }
        return ImageInput.of(bytes, path);
    }
}
