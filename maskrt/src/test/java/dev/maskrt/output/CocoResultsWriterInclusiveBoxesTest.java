package dev.maskrt.output;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.util.List;
import org.junit.jupiter.api.Test;

/** COCO boxes of a maskrcnn-benchmark model: {@code [x0, y0, x1 - x0 + 1, y1 - y0 + 1]}, the sums in float32. */
class CocoResultsWriterInclusiveBoxesTest {
    private static JsonNode write(boolean inclusive, Instance i) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (CocoResultsWriter w = CocoResultsWriter.open(bytes, new int[] {7}, inclusive)) {
            w.write(5, List.of(i));
        }
        return new ObjectMapper().readTree(bytes.toByteArray()).get(0);
    }

    @Test
    void writesTheInclusiveWidthAsCocoEvalDoes() throws Exception {
        Instance i = new Instance(0, "cell", 0.75f, 1.5f, 2f, 3.25f, 10.1f, null);
        JsonNode inclusive = write(true, i), continuous = write(false, i);
        assertEquals(2.75, inclusive.get("bbox").get(2).asDouble());
        assertEquals((double) (10.1f - 2f + 1f), inclusive.get("bbox").get(3).asDouble()); // float32, as torch
        assertEquals(1.75, continuous.get("bbox").get(2).asDouble());
        assertEquals(1.5, inclusive.get("bbox").get(0).asDouble());
        assertEquals(7, inclusive.get("category_id").asInt());
        // a box under one pixel wide (x1 < x0, possible in maskrcnn-benchmark) keeps its positive inclusive width
        Instance thin = new Instance(0, "cell", 0.5f, 4f, 4f, 3.75f, 6f, null);
        assertEquals(0.75, write(true, thin).get("bbox").get(2).asDouble());
    }
}
