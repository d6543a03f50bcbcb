package dev.maskrt.output;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.Closeable;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Streams detections into a COCO results file: a JSON array of
 * {@code {"image_id", "category_id", "bbox": [x, y, w, h], "score", "segmentation": {"size": [h, w], "counts"}}}
 * records, one per instance, written as they come so that a whole test set never sits in memory.
 *
 * <p>Boxes arrive as the pipeline produces them, {@code (x0, y0, x1, y1)} in pixels of the original image, and are
 * written as {@code [x0, y0, x1 - x0, y1 - y0]}; floats are written as the exact double of the float (as detectron2's
 * {@code tolist()} does). Masks ({@link CompactMask}) become compressed COCO RLE without building a full image.
 * Model class indices map to dataset category ids through {@code categoryIds} (see {@link #categoryIdsByName}).
 *
 * <p>Thread-safe: {@link #write} may be called from several threads; records of one call stay together.
 * {@link #close()} ends the array and closes the file.
 */
public final class CocoResultsWriter implements Closeable {
    private static final JsonFactory FACTORY = new JsonFactory();
    private final int[] categoryIds;
    private final OutputStream out;
    private final JsonGenerator gen;
    private final boolean inclusiveBoxes;
    private long written;

    private CocoResultsWriter(OutputStream out, int[] categoryIds, boolean inclusiveBoxes) throws IOException {
        this.out = out;
        this.inclusiveBoxes = inclusiveBoxes;
        this.categoryIds = categoryIds.clone();
        this.gen = FACTORY.createGenerator(out, JsonEncoding.UTF8);
        gen.writeStartArray();
    }

    /**
     * Opens {@code file} for writing (replacing it).
     *
     * @param file the results file

     * @param categoryIds dataset category id of each model class index: {@code categoryIds[classIndex]}
     * @return the writer; {@link #close()} ends the JSON array
     * @throws IOException when the file cannot be created
     */
    public static CocoResultsWriter open(Path file, int[] categoryIds) throws IOException {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(categoryIds, "categoryIds");
        return new CocoResultsWriter(Files.newOutputStream(file), categoryIds, false);
    }

    /**
     * As {@link #open(Path, int[])} on a stream, which {@link #close()} closes.
     *
     * @param out the stream
     * @param categoryIds dataset category id of each model class index
     * @return the writer
     * @throws IOException when the stream cannot be written
     */
    public static CocoResultsWriter open(OutputStream out, int[] categoryIds) throws IOException {
        return open(out, categoryIds, false);
    }

    /**
     * As {@link #open(OutputStream, int[])}; with {@code inclusiveBoxes} (a maskrcnn-benchmark model's instances,
     * {@code Predictor.inclusiveBoxes()}) boxes are written as its {@code coco_eval.py} writes them
     * ({@code prepare_for_coco_detection}: {@code BoxList.convert("xywh")},
     * {@code maskrcnn_benchmark/structures/bounding_box.py}:61-70): {@code [x0, y0, x1 - x0 + 1, y1 - y0 + 1]}, the
     * width and height computed in float32 as torch does.
     *
     * @param out the stream
     * @param categoryIds dataset category id of each model class index
     * @param inclusiveBoxes the boxes are inclusive pixel ranges
     * @return the writer
     * @throws IOException when the stream cannot be written
     */
    public static CocoResultsWriter open(OutputStream out, int[] categoryIds, boolean inclusiveBoxes)
            throws IOException {
        Objects.requireNonNull(out, "out");
        Objects.requireNonNull(categoryIds, "categoryIds");
        return new CocoResultsWriter(out, categoryIds, inclusiveBoxes);
    }

    /**
     * The category id of each model class, found by name among a dataset's categories (e.g. a ground truth's
     * {@code categories}).
     *
     * @param classNames the model's class names by class index
     * @param categoryIdByName dataset category id by name
     * @return the category id of each class index
     * @throws IllegalArgumentException naming the first class whose name the dataset lacks
     */
    public static int[] categoryIdsByName(List<String> classNames, Map<String, Integer> categoryIdByName) {
        int[] ids = new int[classNames.size()];
        for (int i = 0; i < ids.length; i++) {
            Integer id = categoryIdByName.get(classNames.get(i));
            if (id == null) {
                throw new IllegalArgumentException("classNames[" + i + "]: '" + classNames.get(i)
                        + "' is not a category of the dataset " + categoryIdByName.keySet());
            }
            ids[i] = id;
        }
        return ids;
    }

    /**
     * The image id encoded in a file name as COCO names its files: the digits of the name without extension, e.g.
     * {@code 000000397133.jpg -> 397133}. Use a ground truth's {@code images} list (by {@code file_name}) where there
     * is one ({@code CocoGroundTruth.imageIdsByFileName()}).
     *
     * @param fileName the image's file name
     * @return the number it holds
     * @throws IllegalArgumentException if the name (without extension) is not all digits
     */
    public static long imageIdFromFileName(String fileName) {
        String base = Path.of(fileName).getFileName().toString();
        int dot = base.lastIndexOf('.');
        String stem = dot > 0 ? base.substring(0, dot) : base;
        if (stem.isEmpty() || stem.length() > 18 || !stem.chars().allMatch(Character::isDigit)) {
            throw new IllegalArgumentException("fileName: '" + fileName + "' has no numeric image id; give an image list");
        }
        return Long.parseLong(stem);
    }

    /**
     * Writes the instances of one image: a record per instance, with a {@code segmentation} when it has a mask.
     *
     * @param imageId the dataset's image id
     * @param detections the image's instances
     * @throws IOException when the file cannot be written
     * @throws IllegalArgumentException naming the detection whose class index has no category id, or whose box or
     *     score is not finite
     */
    public synchronized void write(long imageId, List<Instance> detections) throws IOException {
        for (int i = 0; i < detections.size(); i++) {
            Instance d = detections.get(i);
            if (d.classIndex() < 0 || d.classIndex() >= categoryIds.length) {
                throw new IllegalArgumentException("detections[" + i + "].classIndex " + d.classIndex()
                        + " has no category id (" + categoryIds.length + " classes)");
            }
            if (!Float.isFinite(d.score()) || !Float.isFinite(d.x0()) || !Float.isFinite(d.y0())
                    || !Float.isFinite(d.x1()) || !Float.isFinite(d.y1())) {
                throw new IllegalArgumentException("detections[" + i + "]: score and box must be finite");
            }
        }
        for (Instance d : detections) {
            gen.writeStartObject();
            gen.writeNumberField("image_id", imageId);
            gen.writeNumberField("category_id", categoryIds[d.classIndex()]);
            gen.writeArrayFieldStart("bbox");
            gen.writeNumber((double) d.x0());
            gen.writeNumber((double) d.y0());
            if (inclusiveBoxes) {
                gen.writeNumber((double) (d.x1() - d.x0() + 1f));
                gen.writeNumber((double) (d.y1() - d.y0() + 1f));
            } else {
                gen.writeNumber((double) d.x1() - (double) d.x0());
                gen.writeNumber((double) d.y1() - (double) d.y0());
            }
            gen.writeEndArray();
            gen.writeNumberField("score", (double) d.score());
            if (d.hasMask()) {
                CocoRle rle = CocoRle.encode(d.mask());
                gen.writeObjectFieldStart("segmentation");
                gen.writeArrayFieldStart("size");
                gen.writeNumber(rle.height());
                gen.writeNumber(rle.width());
                gen.writeEndArray();
                gen.writeStringField("counts", rle.toCompressedString());
                gen.writeEndObject();
            }
            gen.writeEndObject();
            written++;
        }
    }

    /** @return records written so far */
    public synchronized long count() {
        return written;
    }

    @Override
    public synchronized void close() throws IOException {
        try {
            gen.writeEndArray();
            gen.close();
        } finally {
            out.close();
        }
    }
}
