package dev.maskrt.eval;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.maskrt.error.InputFormatException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Streaming reader for the records of COCO files (annotations, results, images, categories). Only the fields that
 * evaluation uses are kept; everything else is skipped without building a tree, so a results file of millions of
 * records costs only its parsed fields. Errors name the file, the record and the field.
 */
final class CocoJson {
    private CocoJson() {}

    /**
     * Accepts Python's {@code NaN} and {@code Infinity} (which {@code json.dump} writes for non-finite floats) as
     * numbers, so that the field holding one is named ("expected a finite number, got NaN") instead of a syntax error.
     */
    static final JsonFactory FACTORY = JsonFactory.builder()
            .enable(com.fasterxml.jackson.core.json.JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS).build();

    /**
     * A syntax error as {@code FILE: line L, column C: [RECORD: ]not valid JSON: ...}.
     *
     * @param record the record being read, or null
     */
    static InputFormatException syntaxError(Object file, String record, com.fasterxml.jackson.core.JsonProcessingException e) {
        com.fasterxml.jackson.core.JsonLocation at = e.getLocation();
        String where = at == null ? "" : "line " + at.getLineNr() + ", column " + at.getColumnNr() + ": ";
        return new InputFormatException(file + ": " + where + (record == null ? "" : record + ": ") + "not valid JSON: "
                + String.valueOf(e.getOriginalMessage()).replace('\n', ' '), e);
    }

    /** A segmentation as written in the file, before it is turned into an RLE (which may need the image size). */
    sealed interface Segmentation permits Polygons, Rle, RleList {}

    /** A list of polygons {@code [[x0, y0, x1, y1, ...], ...]}. */
    record Polygons(List<double[]> polygons) implements Segmentation {}

    /** {@code {"size": [h, w], "counts": "..."}} (compressed) or with a list of counts (uncompressed). */
    record Rle(int height, int width, String compressed, int[] counts) implements Segmentation {}

    /** A list of RLE objects (merged into one, as pycocotools annToRLE does for any list). */
    record RleList(List<Rle> rles) implements Segmentation {}

    /** The fields of one annotation or result record; absent fields are null. */
    static final class Record {
        Long id;
        Long imageId;
        Long categoryId;
        Double score;
        double[] bbox;
        Double area;
        Boolean iscrowd;
        Segmentation segmentation;
    }

    /** Where a record sits, for messages. */
    static String where(String array, int index) {
        return array + "[" + index + "]";
    }

    static Record readRecord(JsonParser p, Object file, String rec) throws IOException {
        expect(p, JsonToken.START_OBJECT, file, rec, null, "expected an object");
        Record r = new Record();
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            JsonToken t = p.nextToken();
            switch (name) {
                case "id" -> r.id = readLong(p, file, rec, name);
                case "image_id" -> r.imageId = readLong(p, file, rec, name);
                case "category_id" -> r.categoryId = readLong(p, file, rec, name);
                case "score" -> r.score = readFiniteDouble(p, file, rec, name);
                case "area" -> r.area = readFiniteDouble(p, file, rec, name);
                case "bbox" -> r.bbox = readNumbers(p, file, rec, name);
                case "iscrowd" -> {
                    if (t == JsonToken.VALUE_TRUE || t == JsonToken.VALUE_FALSE) r.iscrowd = t == JsonToken.VALUE_TRUE;
                    else r.iscrowd = readLong(p, file, rec, name) != 0;
                }
                case "segmentation" -> r.segmentation = readSegmentation(p, file, rec);
                default -> p.skipChildren();
            }
        }
        return r;
    }

    private static Segmentation readSegmentation(JsonParser p, Object file, String rec) throws IOException {
        String field = "segmentation";
        JsonToken t = p.currentToken();
        if (t == JsonToken.START_OBJECT) {
            return readRle(p, file, rec);
        }
        if (t != JsonToken.START_ARRAY) {
            throw InputFormatException.at(file, rec, field, "expected a list of polygons or an RLE object, got " + t);
        }
        List<double[]> polys = new ArrayList<>();
        List<Rle> rles = new ArrayList<>();
        while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
            if (t == JsonToken.START_ARRAY) {
                polys.add(readNumbers(p, file, rec, field));
            } else if (t == JsonToken.START_OBJECT) {
                rles.add(readRle(p, file, rec));
            } else {
                throw InputFormatException.at(file, rec, field, "expected polygons (lists of numbers), got " + t);
            }
        }
        if (!polys.isEmpty() && !rles.isEmpty()) {
            throw InputFormatException.at(file, rec, field, "mixes polygons and RLE objects");
        }
        return rles.isEmpty() ? new Polygons(polys) : new RleList(rles);
    }

    private static Rle readRle(JsonParser p, Object file, String rec) throws IOException {
        int h = -1, w = -1;
        String compressed = null;
        int[] counts = null;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            JsonToken t = p.nextToken();
            if (name.equals("size")) {
                double[] s = readNumbers(p, file, rec, "segmentation.size");
                if (s.length != 2 || s[0] != Math.rint(s[0]) || s[1] != Math.rint(s[1]) || s[0] < 0 || s[1] < 0) {
                    throw InputFormatException.at(file, rec, "segmentation.size", "expected [height, width], got "
                            + Arrays.toString(s));
                }
                h = (int) s[0];
                w = (int) s[1];
            } else if (name.equals("counts")) {
                if (t == JsonToken.VALUE_STRING) {
                    compressed = p.getText();
                } else if (t == JsonToken.START_ARRAY) {
                    double[] c = readNumbers(p, file, rec, "segmentation.counts");
                    counts = new int[c.length];
                    for (int i = 0; i < c.length; i++) {
                        if (c[i] != Math.rint(c[i]) || c[i] < 0 || c[i] > Integer.MAX_VALUE) {
                            throw InputFormatException.at(file, rec, "segmentation.counts",
                                    "count " + i + " is not a non-negative integer: " + c[i]);
                        }
                        counts[i] = (int) c[i];
                    }
                } else {
                    throw InputFormatException.at(file, rec, "segmentation.counts", "expected a string or a list");
                }
            } else {
                p.skipChildren();
            }
        }
        if (h < 0) throw InputFormatException.at(file, rec, "segmentation.size", "missing");
        if (compressed == null && counts == null) throw InputFormatException.at(file, rec, "segmentation.counts", "missing");
        return new Rle(h, w, compressed, counts);
    }

    static void expect(JsonParser p, JsonToken token, Object file, String rec, String field, String problem) {
        if (p.currentToken() != token) {
            throw InputFormatException.at(file, rec, field, problem + ", got " + p.currentToken());
        }
    }

    static long readLong(JsonParser p, Object file, String rec, String field) throws IOException {
        JsonToken t = p.currentToken();
        if (t == JsonToken.VALUE_NUMBER_INT) return p.getLongValue();
        if (t == JsonToken.VALUE_NUMBER_FLOAT) {
            double d = p.getDoubleValue();
            if (d == Math.rint(d) && Math.abs(d) < 9.0e15) return (long) d;
        }
        throw InputFormatException.at(file, rec, field, "expected an integer, got " + describe(p));
    }

    static double readFiniteDouble(JsonParser p, Object file, String rec, String field) throws IOException {
        JsonToken t = p.currentToken();
        if (t == JsonToken.VALUE_NUMBER_INT || t == JsonToken.VALUE_NUMBER_FLOAT) {
            double d = p.getDoubleValue();
            if (Double.isFinite(d)) return d;
        }
        throw InputFormatException.at(file, rec, field, "expected a finite number, got " + describe(p));
    }

    static String readString(JsonParser p, Object file, String rec, String field) throws IOException {
        if (p.currentToken() == JsonToken.VALUE_STRING) return p.getText();
        throw InputFormatException.at(file, rec, field, "expected a string, got " + describe(p));
    }

    /** A flat list of finite numbers; the parser is at its START_ARRAY. */
    static double[] readNumbers(JsonParser p, Object file, String rec, String field) throws IOException {
        if (p.currentToken() != JsonToken.START_ARRAY) {
            throw InputFormatException.at(file, rec, field, "expected a list of numbers, got " + describe(p));
        }
        double[] out = new double[8];
        int n = 0;
        JsonToken t;
        while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
            if (t != JsonToken.VALUE_NUMBER_INT && t != JsonToken.VALUE_NUMBER_FLOAT) {
                throw InputFormatException.at(file, rec, field, "expected a list of numbers, found " + describe(p));
            }
            double d = p.getDoubleValue();
            if (!Double.isFinite(d)) throw InputFormatException.at(file, rec, field, "value " + n + " is not finite");
            if (n == out.length) out = Arrays.copyOf(out, n * 2);
            out[n++] = d;
        }
        return Arrays.copyOf(out, n);
    }

    private static String describe(JsonParser p) throws IOException {
        JsonToken t = p.currentToken();
        if (t == null) return "end of file";
        if (t.isScalarValue()) return t == JsonToken.VALUE_STRING ? "\"" + p.getText() + "\"" : p.getText();
        return t.asString() == null ? t.name() : t.asString();
    }
}
