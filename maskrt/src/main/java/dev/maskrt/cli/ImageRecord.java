package dev.maskrt.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.maskrt.error.InputFormatException;
import java.util.Iterator;
import java.util.Map;
import java.util.TreeMap;

/**
 * The finished outputs of one image, as one line of the predict journal: its COCO records as the JSON text they take
 * inside {@code coco_results.json} ({@code {...},{...}}, empty when none; null without COCO output) and its rows of
 * each Kaggle submission ({@code id,RLE\n...}, by format name). The final files are these texts joined in input order,
 * so they are the same whether a run was interrupted or not. Public for {@link PredictOutputs} (maskrt-spark); the
 * package is not exported.
 *
 * @param id the image's output id
 * @param path the image file as named
 * @param instances instances predicted
 * @param coco COCO records text, or null
 * @param rows submission rows by format name
 */
public record ImageRecord(String id, String path, int instances, String coco, Map<String, String> rows) {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Copies {@code rows}. */
    public ImageRecord {
        rows = Map.copyOf(rows);
    }

    /** One line of JSON, without the line end. */
    String toJsonLine() {
        ObjectNode o = JSON.createObjectNode();
        o.put("id", id);
        o.put("path", path);
        o.put("instances", instances);
        if (coco != null) o.put("coco", coco);
        ObjectNode r = o.putObject("rows");
        new TreeMap<>(rows).forEach(r::put);
        return o.toString();
    }

    /**
     * Parses a journal line.
     *
     * @param where the file and line, for messages
     * @throws InputFormatException naming {@code where} when the line is not such a record
     */
    static ImageRecord parse(String line, String where) {
        JsonNode o;
        try {
            o = JSON.readTree(line);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new InputFormatException(where + ": not valid JSON: " + e.getOriginalMessage(), e);
        }
        if (o == null || !o.isObject() || !o.path("id").isTextual() || !o.path("path").isTextual()
                || !o.path("instances").canConvertToInt() || !o.path("rows").isObject()
                || (o.has("coco") && !o.get("coco").isTextual())) {
            throw new InputFormatException(where + ": not an image record of the predict journal");
        }
        Map<String, String> rows = new TreeMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = o.get("rows").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            rows.put(e.getKey(), e.getValue().asText());
        }
        return new ImageRecord(o.get("id").asText(), o.get("path").asText(), o.get("instances").asInt(),
                o.has("coco") ? o.get("coco").asText() : null, rows);
    }
}
