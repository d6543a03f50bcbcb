package dev.maskrt.cascade;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.maskrt.image.ChannelFormat;
import dev.maskrt.image.DecodedImage;
import dev.maskrt.image.ImageDecoder;
import dev.maskrt.image.PreprocessedBatch;
import dev.maskrt.image.Preprocessor;
import dev.maskrt.image.ResizeShortestEdge;
import dev.maskrt.model.Conventions;
import dev.maskrt.model.PoolerSettings;
import dev.maskrt.ops.Anchors;
import dev.maskrt.ops.cpu.CpuBoxTransform;
import dev.maskrt.ops.cpu.CpuNms;
import dev.maskrt.util.Workers;
import java.io.IOException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * maskrt's mmdetection rules (conventions {@link Conventions#MMDETECTION}) against goldens computed by REAL
 * mmdetection 2.16.0 / mmcv 1.3.9 functions ({@code tools/reference/make_mmdetection_op_goldens.py}):
 * {@code AnchorGenerator}, {@code delta2bbox}, {@code rescale_size}, {@code imnormalize}, mmcv's compiled
 * {@code nms}, {@code map_roi_levels} and mmcv's OpenCV resize. Bit for bit except where a test says otherwise.
 */
class MmdetectionRulesTest {
    private static JsonNode golden;

    @BeforeAll
    static void load() throws IOException {
        golden = new ObjectMapper().readTree(Path.of("src/test/resources/ops/mmdetection/ops.json").toFile());
    }

    private static float[] floats(JsonNode array) {
        float[] out = new float[array.size()];
        for (int i = 0; i < out.length; i++) out[i] = (float) array.get(i).asDouble();
        return out;
    }

    private static double[] doubles(JsonNode array) {
        double[] out = new double[array.size()];
        for (int i = 0; i < out.length; i++) out[i] = array.get(i).asDouble();
        return out;
    }

    private static BoxRules rules() {
        return new BoxRules(Conventions.MMDETECTION, new CpuBoxTransform(), new CpuNms(null));
    }

    @Test
    void cellAndGridAnchorsAreAnchorGenerators() {
        for (JsonNode c : golden.get("anchors")) {
            double[] ratios = doubles(c.get("ratios")), scales = doubles(c.get("scales"));
            for (int l = 0; l < c.get("strides").size(); l++) {
                int stride = c.get("strides").get(l).asInt();
                float[] cell = Anchors.mmdetectionCellAnchors(stride, scales, ratios);
                assertArrayEquals(floats(c.get("base").get(l)), cell, 0f, "stride " + stride);
                JsonNode size = c.get("grid_sizes").get(l);
                assertArrayEquals(floats(c.get("grids").get(l)),
                        Anchors.gridAnchors(size.get(0).asInt(), size.get(1).asInt(), stride, 0.0, cell), 0f,
                        "grid at stride " + stride);
            }
        }
    }

    @Test
    void decodeIsDelta2bboxWithItsSymmetricClamp() {
        JsonNode d = golden.get("deltas");
        float maxRatio = (float) d.get("max_ratio").asDouble();
        for (JsonNode c : d.get("cases")) {
            double[] stds = doubles(c.get("stds"));
            float[] weights = new float[4]; // the manifest stores 1 / std
            for (int i = 0; i < 4; i++) weights[i] = (float) (1.0 / stds[i]);
            float[] expected = floats(c.get("boxes"));
            float[] actual = rules().decode(floats(c.get("deltas")), floats(c.get("rois")), weights, maxRatio);
            // exp: maskrt's is correctly rounded, torch's vectorised exp may be 1 ulp off (BoxTransform javadoc); that ulp
            // of the box size is carried into the corners (centre -/+ size / 2): a few ulps of the box's largest value
            int differing = 0;
            for (int i = 0; i < expected.length; i++) {
                int b = i / 4 * 4;
                float magnitude = 1f;
                for (int k = b; k < b + 4; k++) magnitude = Math.max(magnitude, Math.abs(expected[k]));
                assertEquals(expected[i], actual[i], 4 * Math.ulp(magnitude), "stds " + c.get("stds") + " coordinate " + i);
                if (expected[i] != actual[i]) differing++;
            }
            assertTrue(differing < expected.length / 10, differing + " of " + expected.length + " coordinates differ");
        }
    }

    @Test
    void resizedSizesAreMmcvRescaleSize() {
        for (JsonNode c : golden.get("rescale")) {
            int[] size = ResizeShortestEdge.mmdetection(c.get("short").asInt(), c.get("long").asInt())
                    .outputSize(c.get("h").asInt(), c.get("w").asInt());
            assertArrayEquals(new int[] {c.get("new_h").asInt(), c.get("new_w").asInt()}, size, c.toString());
        }
    }

    @Test
    void normalisationIsImnormalize() {
        JsonNode n = golden.get("normalize");
        byte[] pixels = new byte[256 * 3];
        for (int v = 0; v < 256; v++) for (int c = 0; c < 3; c++) pixels[3 * v + c] = (byte) v;
        try (Workers workers = new Workers(1)) {
            Preprocessor p = new Preprocessor(ChannelFormat.RGB, doubles(n.get("mean")), doubles(n.get("std")),
                    ResizeShortestEdge.mmdetection(0, 1333), 1, workers);
            PreprocessedBatch b = p.preprocess(DecodedImage.ofBytes(1, 256, 3, ChannelFormat.RGB, pixels));
            for (int c = 0; c < 3; c++) {
                float[] channel = java.util.Arrays.copyOfRange(b.data(), c * 256, (c + 1) * 256);
                assertArrayEquals(floats(n.get("rgb").get(c)), channel, 0f, "channel " + c);
            }
        }
    }

    @Test
    void nmsSuppressesAtIouGreaterOrEqualLikeMmcv() {
        JsonNode n = golden.get("nms");
        float[] boxes = floats(n.get("boxes")), scores = floats(n.get("scores"));
        for (JsonNode c : n.get("cases")) {
            int[] expected = new int[c.get("keep").size()];
            for (int i = 0; i < expected.length; i++) expected[i] = c.get("keep").get(i).asInt();
            double t = c.get("threshold").asDouble();
            assertArrayEquals(expected, rules().nms(boxes, scores, t), "threshold " + t);
            int[] one = new int[scores.length];
            assertArrayEquals(expected, rules().batched(boxes, scores, one, t), "batched, threshold " + t);
        }
    }

    @Test
    void roiLevelsAreMapRoiLevels() {
        JsonNode l = golden.get("levels");
        PoolerSettings pooler = new PoolerSettings(7, 0, true, 224, 4, List.of("p2", "p3", "p4", "p5"),
                l.get("finest_scale").asInt());
        int[] expected = new int[l.get("levels").size()];
        for (int i = 0; i < expected.length; i++) expected[i] = l.get("levels").get(i).asInt() + 2;
        assertArrayEquals(expected, rules().levelMapping(pooler).levels(floats(l.get("boxes")), 2, 5));
    }

    @Test
    void resizeIsMmcvImrescaleWithOpenCv() throws NoSuchAlgorithmException {
        JsonNode r = golden.get("resize");
        DecodedImage image = ImageDecoder.bgr().asDetectron2Reads().decode(Path.of(r.get("image").asText()));
        int[] size = ResizeShortestEdge.mmdetection(800, 1333).outputSize(image.height(), image.width());
        assertEquals(r.get("shape").get(0).asInt(), size[0]);
        assertEquals(r.get("shape").get(1).asInt(), size[1]);
        byte[] resized = dev.maskrt.image.ImageResizeAccess.openCvBilinear(image.bytes(), image.height(),
                image.width(), 3, size[0], size[1]);
        assertEquals(r.get("sha256").asText(),
                HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(resized)));
    }
}
