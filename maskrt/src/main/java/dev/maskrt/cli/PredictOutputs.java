package dev.maskrt.cli;

import dev.maskrt.Prediction;
import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The output files of {@code maskrt predict} for runners other than the command itself (maskrt-spark), made by the
 * command's own code: the ids of a run's inputs ({@link OutputIds}, COCO image ids as {@code ImageRenderer} gives
 * them), each finished image's texts ({@link ImageRecord}) and the final files ({@code FinalOutputs}: written in input
 * order, each atomically). A run that renders every image with {@link Renderer} and hands the records to
 * {@link #write} in input order writes the same bytes as {@code maskrt predict} on the same files and options.
 *
 * <p>Internal: {@code dev.maskrt.cli} is not an exported package of the module; this class is public for maskrt-spark
 * (which runs on the class path) and changes with it.
 */
public final class PredictOutputs {
    /** The formats, as {@code --format} names them. */
    public static final List<String> FORMATS = List.of("coco", "sartorius", "dsb", "airbus");

    /** The image file extensions a folder is searched for (lower case, without the dot). */
    public static final List<String> IMAGE_EXTENSIONS = InputFiles.IMAGE_EXTENSIONS;

    private PredictOutputs() {}

    /**
     * The input files of {@code --images}, as {@code maskrt predict} takes them: files as named, folders expanded to
     * their image files (sorted by name), the same real file kept once.
     *
     * @param named files and folders, in order
     * @param warnings gets one line per named folder without image files
     * @return the files in order
     * @throws IOException when a folder cannot be listed
     */
    public static List<Path> collectFiles(List<Path> named, java.io.PrintWriter warnings) throws IOException {
        return InputFiles.collect(named, warnings).stream().map(InputImage::path).toList();
    }

    /**
     * Kaggle submissions are run-length encoded masks, so a box-only model (no mask head) can only write COCO
     * results: the refusal of the first other format chosen.
     *
     * @param model the model as the user named it
     * @param hasMasks whether the model predicts masks
     * @param formats the chosen formats, as {@code --format} names them
     * @return the refusal naming the format and the model, or null when every format can be written
     */
    public static String boxOnlyRefusal(String model, boolean hasMasks, Collection<String> formats) {
        if (hasMasks) return null;
        for (String f : formats) {
            if (!f.trim().equalsIgnoreCase("coco")) {
                return "--format " + f + ": the model " + model + " has no mask head (a box-only detectron2 model, "
                        + "MASK_ON false) and Kaggle submissions are run-length encoded masks; use --format coco (boxes)";
            }
        }
        return null;
    }

    /**
     * {@code --max-image-bytes}' sizes: {@code N}, {@code Nk}, {@code Nm}, {@code Ng} (powers of 1024).
     *
     * @param text the size
     * @return bytes, or -1 when {@code text} is not such a size
     */
    public static long parseSize(String text) {
        return PredictCommand.parseSize(text);
    }

    /**
     * One input of a run.
     *
     * @param path the file as named (the journal's and {@code coco_image_ids.json}'s key)
     * @param id its stem-based id (Kaggle id, overlay name)
     * @param fileId its file-name-based id (Airbus {@code ImageId})
     * @param cocoImageId its COCO image id, null when COCO output is off or {@code --coco-gt} does not have it
     * @param cocoKey what the COCO image id was looked up by (for the message when it is missing)
     */
    public record Input(String path, String id, String fileId, Long cocoImageId, String cocoKey)
            implements Serializable {}

    /**
     * What every image's rendering needs, small and serializable: the formats, the COCO category id of each class and
     * the Kaggle formats' minimum instance size.
     */
    public static final class Spec implements Serializable {
        private static final long serialVersionUID = 1L;
        private final List<String> formats;
        private final int[] categories;
        private final int minPixels;
        private final boolean inclusiveBoxes;
        private final boolean masks;

        Spec(List<String> formats, int[] categories, int minPixels, boolean inclusiveBoxes, boolean masks) {
            this.formats = List.copyOf(formats);
            this.categories = categories.clone();
            this.minPixels = minPixels;
            this.inclusiveBoxes = inclusiveBoxes;
            this.masks = masks;
        }

        /** @return the formats, in option order */
        public List<String> formats() { return formats; }

        /** @return whether {@code coco_results.json} is written */
        public boolean coco() { return formats.contains("coco"); }

        /**
         * A renderer of images' texts; one per thread (not thread-safe).
         *
         * @return a new renderer
         * @throws IOException never in practice (the Kaggle headers are written to memory)
         */
        public Renderer renderer() throws IOException {
            return new Renderer(new ImageRenderer(parse(formats), categories, minPixels, inclusiveBoxes));
        }
    }

    /** Renders successful predictions into their output texts, as {@code maskrt predict} does. Not thread-safe. */
    public static final class Renderer {
        private final ImageRenderer renderer;

        private Renderer(ImageRenderer renderer) {
            this.renderer = renderer;
        }

        /**
         * @param input the image's ids
         * @param prediction its successful prediction
         * @return its texts in every format
         * @throws IOException never in practice (texts are written to memory)
         * @throws IllegalArgumentException when COCO output is on and the image has no COCO image id, or a detection
         *     is not finite; {@code maskrt predict} then counts the image as failed with this message
         */
        public ImageRecord render(Input input, Prediction prediction) throws IOException {
            return renderer.render(input.id(), input.fileId(), input.path(), input.cocoImageId(), input.cocoKey(),
                    prediction);
        }
    }

    /**
     * A run: its spec, its inputs with their ids, and the sequential COCO image ids when there are such.
     *
     * @param spec what rendering needs
     * @param inputs the inputs in order
     * @param sequentialIds COCO image ids 1..N by path (written to {@code coco_image_ids.json}), or null
     * @param classNames the model's classes
     */
    public record Plan(Spec spec, List<Input> inputs, Map<String, Long> sequentialIds, List<String> classNames) {}

    /** What the final files hold. @param images images written @param instances their instances */
    public record Totals(int images, long instances) {}

    /**
     * The ids of a run's inputs, by {@code maskrt predict}'s rules (the list must already hold each file once).
     *
     * @param files the inputs, in order
     * @param formats {@link #FORMATS} names, at least one
     * @param classNames the model's classes (COCO category ids: index + 1, or by name from {@code cocoGt})
     * @param cocoGt a COCO ground truth giving image and category ids, or null
     * @param minPixels Kaggle formats: instances with fewer pixels after overlap removal are dropped
     * @param predictor the open predictor of the run (its classes, box convention and masks)
     * @return the plan
     * @throws IllegalArgumentException when a format is unknown, or {@code cocoGt} lacks one of the classes
     * @throws IOException when {@code cocoGt} cannot be read
     */
    public static Plan plan(List<Path> files, List<String> formats, Path cocoGt, int minPixels,
                            dev.maskrt.Predictor predictor) throws IOException {
        return plan(files, null, formats, cocoGt, minPixels, predictor);
    }

    /**
     * {@link #plan(List, List, Path, int, dev.maskrt.Predictor)} for files that are named otherwise than by their
     * path (URIs of other file systems): {@code files} give the ids (and the keys of sequential COCO ids),
     * {@code names} the {@link Input#path()}.
     *
     * @param files the inputs as paths, in order
     * @param names how each is named, or null for the paths themselves
     * @param formats {@link #FORMATS} names, at least one
     * @param cocoGt a COCO ground truth giving image and category ids, or null
     * @param minPixels Kaggle formats: instances with fewer pixels after overlap removal are dropped
     * @param predictor the open predictor of the run (its classes, box convention and masks)
     * @return the plan
     * @throws IOException when {@code cocoGt} cannot be read
     */
    public static Plan plan(List<Path> files, List<String> names, List<String> formats, Path cocoGt, int minPixels,
                            dev.maskrt.Predictor predictor) throws IOException {
        List<String> classNames = predictor.classNames();
        if (names != null && names.size() != files.size()) throw new IllegalArgumentException("names: one per file");
        Set<PredictCommand.Format> chosen = parse(formats);
        List<String> ids = OutputIds.stems(files), fileIds = OutputIds.fileNames(files);
        List<InputImage> images = new ArrayList<>(files.size());
        for (int i = 0; i < files.size(); i++) images.add(new InputImage(files.get(i), ids.get(i), fileIds.get(i)));
        ImageRenderer r = new ImageRenderer(chosen, classNames, images, cocoGt, minPixels, predictor.inclusiveBoxes());
        List<Input> inputs = new ArrayList<>(images.size());
        for (int i = 0; i < images.size(); i++) {
            InputImage in = images.get(i);
            String name = names == null ? in.path().toString() : names.get(i);
            inputs.add(new Input(name, in.id(), in.fileId(), r.cocoImageId(in), r.cocoKey(in)));
        }
        List<String> formatNames = chosen.stream().map(Enum::name).toList();
        return new Plan(new Spec(formatNames, r.categories(), minPixels, predictor.inclusiveBoxes(), predictor.hasMasks()),
                List.copyOf(inputs), r.sequentialImageIds(),
                List.copyOf(classNames));
    }

    /**
     * Writes the final files of a run into {@code out}: {@code coco_results.json}, {@code submission_FORMAT.csv},
     * {@code coco_image_ids.json} (sequential ids), for a maskrcnn-benchmark model also {@code bbox.json} and
     * {@code segm.json}, each as a temporary {@code .NAME.partial} renamed into place.
     *
     * @param out the output folder (exists)
     * @param plan the run
     * @param records the finished images, in input order (failed ones left out)
     * @return what was written
     * @throws IOException when a file cannot be written
     */
    public static Totals write(Path out, Plan plan, Iterator<ImageRecord> records) throws IOException {
        Set<PredictCommand.Format> chosen = parse(plan.spec().formats());
        Spec spec = plan.spec();
        ImageRenderer headers = new ImageRenderer(chosen, spec.categories, spec.minPixels, spec.inclusiveBoxes);
        FinalOutputs.Totals t = FinalOutputs.write(out, records, spec.coco(), headers.headers(), plan.sequentialIds(),
                spec.inclusiveBoxes, spec.masks);
        return new Totals(t.images(), t.instances());
    }

    /**
     * maskrt's outputs in a folder (what {@code maskrt predict} refuses to write over without {@code --overwrite}).
     *
     * @param dir the folder
     * @return their names, sorted (empty when none or no folder)
     * @throws IOException when the folder cannot be listed
     */
    public static List<String> outputsIn(Path dir) throws IOException {
        return OutputDir.outputsIn(dir);
    }

    /**
     * Deletes maskrt's outputs in a folder, as {@code maskrt predict --overwrite} does.
     *
     * @param dir the folder
     * @throws IOException when one cannot be deleted
     */
    public static void clear(Path dir) throws IOException {
        OutputDir.clear(dir);
    }

    /**
     * The failed-file lines {@code maskrt predict} prints ({@code maskrt: failed: FILE: why}), the message not repeating
     * the file when it already starts with it.
     *
     * @param file the file
     * @param why its error message
     * @return one line, without line end
     */
    public static String failedLine(String file, String why) {
        String w = String.valueOf(why);
        return "maskrt: failed: " + (w.startsWith(file) ? "" : file + ": ") + w.replace('\n', ' ');
    }

    private static Set<PredictCommand.Format> parse(List<String> formats) {
        if (formats.isEmpty()) throw new IllegalArgumentException("formats: at least one of " + FORMATS);
        Set<PredictCommand.Format> chosen = new LinkedHashSet<>();
        for (String f : formats) {
            try {
                chosen.add(PredictCommand.Format.valueOf(f.trim().toLowerCase(Locale.ROOT)));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("format '" + f + "' is not one of " + FORMATS);
            }
        }
        return chosen;
    }
}
