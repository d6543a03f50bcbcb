package dev.maskrt.cli;

import dev.maskrt.Prediction;
import dev.maskrt.eval.CocoGroundTruth;
import dev.maskrt.output.CocoResultsWriter;
import dev.maskrt.output.ImageInstances;
import dev.maskrt.output.Instance;
import dev.maskrt.output.KaggleSubmissionWriter;
import dev.maskrt.output.SubmissionFormat;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Renders one image's prediction into the texts of the chosen output formats ({@link ImageRecord}). COCO image ids
 * come from {@code --coco-gt} (by file name), else from numeric file names, else 1..N in input order (then
 * {@link #sequentialImageIds()} is what {@code coco_image_ids.json} holds). Not thread-safe.
 */
final class ImageRenderer {
    private final boolean coco;
    private final int[] categories;
    private final Map<String, Long> cocoImageIds;
    private final boolean idsByFileName;
    private final boolean sequentialIds;
    private final boolean inclusiveBoxes;
    private final Map<PredictCommand.Format, KaggleSubmissionWriter> kaggle = new LinkedHashMap<>();
    private final Map<PredictCommand.Format, String> headers = new LinkedHashMap<>();
    private final StringWriter rows = new StringWriter();

    /**
     * @throws IllegalArgumentException naming the class that {@code --coco-gt} lacks
     * @throws IOException when {@code cocoGt} cannot be read
     */
    ImageRenderer(Set<PredictCommand.Format> formats, List<String> classNames, List<InputImage> inputs, Path cocoGt,
                  int minPixels) throws IOException {
        this(formats, classNames, inputs, cocoGt, minPixels, false);
    }

    /** @param inclusiveBoxes COCO boxes as maskrcnn-benchmark writes them ({@code Predictor.inclusiveBoxes()}) */
    ImageRenderer(Set<PredictCommand.Format> formats, List<String> classNames, List<InputImage> inputs, Path cocoGt,
                  int minPixels, boolean inclusiveBoxes) throws IOException {
        this.inclusiveBoxes = inclusiveBoxes;
        coco = formats.contains(PredictCommand.Format.coco);
        int[] cats = new int[classNames.size()];
        Map<String, Long> ids = Map.of();
        boolean sequential = false;
        if (coco && cocoGt != null) {
            CocoGroundTruth gt = CocoGroundTruth.load(cocoGt);
            ids = gt.imageIdsByFileName();
            cats = CocoResultsWriter.categoryIdsByName(classNames, gt.categoryIdsByName());
        } else if (coco) {
            for (int i = 0; i < cats.length; i++) cats[i] = i + 1; // COCO ids start at 1
            ids = numericIds(inputs);
            if (ids == null) {
                ids = new LinkedHashMap<>();
                long next = 1;
                for (InputImage in : inputs) ids.put(in.path().toString(), next++);
                sequential = true;
            }
        }
        categories = cats;
        cocoImageIds = ids;
        idsByFileName = cocoGt != null;
        sequentialIds = sequential;
        addKaggleWriters(formats, minPixels);
    }

    /**
     * A renderer whose COCO image ids are given with each image ({@link #render(String, String, String, Long,
     * String, Prediction)}): what {@link PredictOutputs} runs where the inputs are not all at hand.
     *
     * @param categories the COCO category id of each class index
     * @param inclusiveBoxes COCO boxes as maskrcnn-benchmark writes them ({@code Predictor.inclusiveBoxes()})
     */
    ImageRenderer(Set<PredictCommand.Format> formats, int[] categories, int minPixels, boolean inclusiveBoxes)
            throws IOException {
        this.inclusiveBoxes = inclusiveBoxes;
        coco = formats.contains(PredictCommand.Format.coco);
        this.categories = categories.clone();
        cocoImageIds = Map.of();
        idsByFileName = false;
        sequentialIds = false;
        addKaggleWriters(formats, minPixels);
    }

    private void addKaggleWriters(Set<PredictCommand.Format> formats, int minPixels) throws IOException {
        for (PredictCommand.Format f : formats) {
            if (f == PredictCommand.Format.coco) continue;
            kaggle.put(f, new KaggleSubmissionWriter(rows, submission(f), minPixels));
            headers.put(f, takeRows());
        }
    }

    /** The COCO category id of each class index (a copy). */
    int[] categories() {
        return categories.clone();
    }

    /** What {@link #cocoImageId} looks an input up by: its file name with {@code --coco-gt}, else its path. */
    String cocoKey(InputImage input) {
        return idsByFileName ? input.path().getFileName().toString() : input.path().toString();
    }

    /** The input's COCO image id, or null when it has none (not in {@code --coco-gt}, or no COCO output). */
    Long cocoImageId(InputImage input) {
        return coco ? cocoImageIds.get(cocoKey(input)) : null;
    }

    /** The COCO image ids by input path when they are 1..N in input order (else null). */
    Map<String, Long> sequentialImageIds() {
        return sequentialIds ? cocoImageIds : null;
    }

    /** The header line (with its line end) of each Kaggle format chosen, in option order. */
    Map<PredictCommand.Format, String> headers() {
        return headers;
    }

    /**
     * The outputs of one successful prediction.
     *
     * @throws IllegalArgumentException when the image is not in {@code --coco-gt} or a detection is not finite
     */
    ImageRecord render(InputImage input, Prediction p) throws IOException {
        return render(input.id(), input.fileId(), input.path().toString(), cocoImageId(input), cocoKey(input), p);
    }

    /**
     * The outputs of one successful prediction, the input given by its parts.
     *
     * @param id the stem-based id; {@code fileId} the file-name-based id (Airbus)
     * @param cocoImageId its COCO image id (null: not in {@code --coco-gt}, {@code cocoKey} names what was looked up)
     * @throws IllegalArgumentException when COCO output is on and {@code cocoImageId} is null, or a detection is not
     *     finite
     */
    ImageRecord render(String id, String fileId, String path, Long cocoImageId, String cocoKey, Prediction p)
            throws IOException {
        List<Instance> instances = p.instances();
        String cocoText = null;
        if (coco) {
            if (cocoImageId == null) {
                throw new IllegalArgumentException("not an image of --coco-gt (no file_name '" + cocoKey + "')");
            }
            cocoText = cocoRecords(cocoImageId, instances);
        }
        Map<String, String> out = new LinkedHashMap<>();
        for (Map.Entry<PredictCommand.Format, KaggleSubmissionWriter> e : kaggle.entrySet()) {
            String rowId = e.getKey() == PredictCommand.Format.airbus ? fileId : id;
            e.getValue().write(new ImageInstances(rowId, p.height(), p.width(), instances));
            out.put(e.getKey().name(), takeRows());
        }
        return new ImageRecord(id, path, instances.size(), cocoText, out);
    }

    /** The image's records as they sit inside the results array: {@code {...},{...}}, or empty. */
    private String cocoRecords(long imageId, List<Instance> instances) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (CocoResultsWriter w = CocoResultsWriter.open(bytes, categories, inclusiveBoxes)) {
            w.write(imageId, instances);
        }
        String array = bytes.toString(StandardCharsets.UTF_8); // "[...]"
        return array.substring(1, array.length() - 1);
    }

    private String takeRows() {
        String s = rows.toString();
        rows.getBuffer().setLength(0);
        return s;
    }

    /**
     * The numbers in the file names when every name is numeric and they are unique (COCO's own naming,
     * {@code 000000397133.jpg}), else null.
     */
    private static Map<String, Long> numericIds(List<InputImage> inputs) {
        Map<String, Long> ids = new LinkedHashMap<>();
        Set<Long> seen = new HashSet<>();
        for (InputImage in : inputs) {
            long id;
            try {
                id = CocoResultsWriter.imageIdFromFileName(in.path().getFileName().toString());
            } catch (IllegalArgumentException notNumeric) {
                return null;
            }
            if (!seen.add(id)) return null;
            ids.put(in.path().toString(), id);
        }
        return ids;
    }

    private static SubmissionFormat submission(PredictCommand.Format f) {
        switch (f) {
            case sartorius: return SubmissionFormat.SARTORIUS;
            case dsb: return SubmissionFormat.DSB2018;
            default: return SubmissionFormat.AIRBUS_SHIP;
        }
    }
}
