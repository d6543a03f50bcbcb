package dev.maskrt;

import com.fasterxml.jackson.databind.JsonNode;
import dev.maskrt.output.CocoRle;
import dev.maskrt.output.Instance;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads the JSON that {@code tools/reference/detectron2_run.py} writes (upstream detectron2's detections): per image
 * {@code file}, {@code height}, {@code width} and {@code instances} ({@code box} x0,y0,x1,y1, {@code score},
 * {@code class}, {@code mask} as COCO compressed RLE).
 */
public final class Detectron2Golden {
    private Detectron2Golden() {}

    /** The images of the golden, as inputs (paths relative to the project root), in file order. */
    public static List<ImageInput> inputs(JsonNode golden) {
        List<ImageInput> inputs = new ArrayList<>();
        for (JsonNode image : golden.get("images")) inputs.add(ImageInput.of(Path.of(image.get("file").asText())));
        return inputs;
    }

    /** One image's detections as maskrt instances (masks over the whole image). */
    public static List<Instance> instances(JsonNode image, List<String> classNames) {
        int h = image.get("height").asInt(), w = image.get("width").asInt();
        List<Instance> out = new ArrayList<>();
        for (JsonNode d : image.get("instances")) {
            JsonNode box = d.get("box");
            int cls = d.get("class").asInt();
            out.add(new Instance(cls, classNames.get(cls), (float) d.get("score").asDouble(), (float) box.get(0).asDouble(),
                    (float) box.get(1).asDouble(), (float) box.get(2).asDouble(), (float) box.get(3).asDouble(),
                    CocoRle.fromCompressedString(d.get("mask").get("counts").asText(), h, w).toCompactMask()));
        }
        return out;
    }
}
