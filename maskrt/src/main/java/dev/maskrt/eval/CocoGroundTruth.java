package dev.maskrt.eval;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.maskrt.error.InputFormatException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A COCO ground-truth file ({@code images}, {@code annotations}, {@code categories}), read with pycocotools
 * {@code COCO} semantics: annotation {@code area} is taken from the file, {@code iscrowd} defaults to 0, annotations
 * of categories not listed in {@code categories} are ignored. Immutable after loading; thread-safe.
 */
public final class CocoGroundTruth {
    /** One entry of {@code images}. */
    public record Image(long id, String fileName, int height, int width) {}

    /** One entry of {@code categories}. */
    public record Category(int id, String name) {}

    private final Path file;
    private final List<Image> images;
    private final List<Category> categories;
    /** Images sorted by id: evaluation order (pycocotools sorts imgIds). */
    final Image[] sortedImages;
    final Map<Long, Integer> imageIndexById;
    /** Category ids sorted ascending: index k of the precision arrays. */
    final int[] sortedCategoryIds;
    final Annotations annotations;

    private CocoGroundTruth(Path file, List<Image> images, List<Category> categories, Annotations annotations,
            Image[] sortedImages, Map<Long, Integer> imageIndexById, int[] sortedCategoryIds) {
        this.file = file;
        this.images = Collections.unmodifiableList(images);
        this.categories = Collections.unmodifiableList(categories);
        this.annotations = annotations;
        this.sortedImages = sortedImages;
        this.imageIndexById = imageIndexById;
        this.sortedCategoryIds = sortedCategoryIds;
    }

    /** @return the file this was read from */
    public Path file() { return file; }

    /** @return the images in file order */
    public List<Image> images() { return images; }

    /** @return the categories in file order */
    public List<Category> categories() { return categories; }

    /**
     * @param id an image id
     * @return the image with this id, or null
     */
    public Image imageById(long id) {
        Integer i = imageIndexById.get(id);
        return i == null ? null : sortedImages[i];
    }

    /** @return image id by {@code file_name} (only its last path component), for naming results by input file */
    public Map<String, Long> imageIdsByFileName() {
        Map<String, Long> m = new HashMap<>();
        for (Image im : images) {
            if (im.fileName() != null) m.put(Path.of(im.fileName()).getFileName().toString(), im.id());
        }
        return m;
    }

    /** @return category id by name, for mapping a model's class names ({@code CocoResultsWriter.categoryIdsByName}) */
    public Map<String, Integer> categoryIdsByName() {
        Map<String, Integer> m = new HashMap<>();
        for (Category c : categories) {
            if (c.name() != null) m.put(c.name(), c.id());
        }
        return m;
    }

    /** @return the number of annotations read */
    public int annotationCount() { return annotations.size; }

    /**
     * Reads a ground-truth file.
     *
     * @param json the file
     * @return the ground truth, indexed for evaluation
     * @throws java.io.IOException when the file cannot be read
     * @throws InputFormatException naming the file, record and field when the file is malformed (missing or
     *     mistyped fields, duplicate image/category/annotation ids, an annotation of an unknown image)
     */
    public static CocoGroundTruth load(Path json) throws IOException {
        List<Image> images = new ArrayList<>();
        List<Category> categories = new ArrayList<>();
        List<CocoJson.Record> anns = new ArrayList<>();
        try (InputStream in = Files.newInputStream(json); JsonParser p = CocoJson.FACTORY.createParser(in)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw InputFormatException.at(json, null, null, "a COCO ground truth must be a JSON object");
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken t = p.nextToken();
                switch (name) {
                    case "images" -> {
                        CocoJson.expect(p, JsonToken.START_ARRAY, json, null, "images", "expected a list");
                        for (int i = 0; p.nextToken() != JsonToken.END_ARRAY; i++) images.add(readImage(p, json, i));
                    }
                    case "categories" -> {
                        CocoJson.expect(p, JsonToken.START_ARRAY, json, null, "categories", "expected a list");
                        for (int i = 0; p.nextToken() != JsonToken.END_ARRAY; i++) {
                            categories.add(readCategory(p, json, i));
                        }
                    }
                    case "annotations" -> {
                        CocoJson.expect(p, JsonToken.START_ARRAY, json, null, "annotations", "expected a list");
                        for (int i = 0; p.nextToken() != JsonToken.END_ARRAY; i++) {
                            anns.add(CocoJson.readRecord(p, json, CocoJson.where("annotations", i)));
                        }
                    }
                    default -> {
                        if (t != null) p.skipChildren();
                    }
                }
            }
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw CocoJson.syntaxError(json, null, e);
        }

        Image[] sorted = images.toArray(new Image[0]);
        Arrays.sort(sorted, (a, b) -> Long.compare(a.id(), b.id()));
        Map<Long, Integer> imageIndex = new HashMap<>();
        for (int i = 0; i < sorted.length; i++) {
            if (imageIndex.put(sorted[i].id(), i) != null) {
                throw InputFormatException.at(json, "images (id " + sorted[i].id() + ")", "id", "duplicate image id");
            }
        }
        int[] catIds = new int[categories.size()];
        for (int i = 0; i < catIds.length; i++) catIds[i] = categories.get(i).id();
        Arrays.sort(catIds);
        for (int i = 1; i < catIds.length; i++) {
            if (catIds[i] == catIds[i - 1]) {
                throw InputFormatException.at(json, "categories (id " + catIds[i] + ")", "id", "duplicate category id");
            }
        }
        Annotations table = new Annotations(json, "annotations");
        Set<Long> annIds = new HashSet<>();
        for (int r = 0; r < anns.size(); r++) {
            CocoJson.Record rec = anns.get(r);
            String where = CocoJson.where("annotations", r);
            if (rec.id == null) throw InputFormatException.at(json, where, "id", "missing");
            if (!annIds.add(rec.id)) throw InputFormatException.at(json, where, "id", "duplicate annotation id " + rec.id);
            if (rec.imageId == null) throw InputFormatException.at(json, where, "image_id", "missing");
            Integer img = imageIndex.get(rec.imageId);
            if (img == null) {
                throw InputFormatException.at(json, where, "image_id", "image " + rec.imageId + " is not in 'images'");
            }
            if (rec.categoryId == null) throw InputFormatException.at(json, where, "category_id", "missing");
            if (rec.area == null) throw InputFormatException.at(json, where, "area", "missing");
            if (rec.bbox != null && rec.bbox.length != 4) {
                throw InputFormatException.at(json, where, "bbox", "expected [x, y, w, h]");
            }
            int i = table.add();
            table.recordIndex[i] = r;
            table.id[i] = rec.id;
            table.imageIndex[i] = img;
            int k = Arrays.binarySearch(catIds, (int) (long) rec.categoryId);
            table.categoryIndex[i] = rec.categoryId == (int) (long) rec.categoryId && k >= 0 ? k : -1;
            table.area[i] = rec.area;
            table.crowd[i] = rec.iscrowd != null && rec.iscrowd;
            if (rec.bbox != null) {
                System.arraycopy(rec.bbox, 0, table.bbox, 4 * i, 4);
                table.hasBbox[i] = true;
            }
            table.segmentation[i] = rec.segmentation;
        }
        return new CocoGroundTruth(json, images, categories, table, sorted, imageIndex, catIds);
    }

    private static Image readImage(JsonParser p, Path file, int index) throws IOException {
        String rec = CocoJson.where("images", index);
        CocoJson.expect(p, JsonToken.START_OBJECT, file, rec, null, "expected an object");
        Long id = null;
        String fileName = null;
        long h = -1, w = -1;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            p.nextToken();
            switch (name) {
                case "id" -> id = CocoJson.readLong(p, file, rec, name);
                case "file_name" -> fileName = CocoJson.readString(p, file, rec, name);
                case "height" -> h = CocoJson.readLong(p, file, rec, name);
                case "width" -> w = CocoJson.readLong(p, file, rec, name);
                default -> p.skipChildren();
            }
        }
        if (id == null) throw InputFormatException.at(file, rec, "id", "missing");
        if (h < 0 || h > Integer.MAX_VALUE) throw InputFormatException.at(file, rec, "height", "missing or invalid");
        if (w < 0 || w > Integer.MAX_VALUE) throw InputFormatException.at(file, rec, "width", "missing or invalid");
        return new Image(id, fileName, (int) h, (int) w);
    }

    private static Category readCategory(JsonParser p, Path file, int index) throws IOException {
        String rec = CocoJson.where("categories", index);
        CocoJson.expect(p, JsonToken.START_OBJECT, file, rec, null, "expected an object");
        Long id = null;
        String name = null;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String field = p.currentName();
            p.nextToken();
            switch (field) {
                case "id" -> id = CocoJson.readLong(p, file, rec, field);
                case "name" -> name = CocoJson.readString(p, file, rec, field);
                default -> p.skipChildren();
            }
        }
        if (id == null || id != (int) (long) id) throw InputFormatException.at(file, rec, "id", "missing or not an int");
        return new Category((int) (long) id, name);
    }
}
