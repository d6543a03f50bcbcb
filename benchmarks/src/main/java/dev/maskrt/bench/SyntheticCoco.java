package dev.maskrt.bench;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.maskrt.output.CocoResultsWriter;
import dev.maskrt.output.Instance;
import dev.maskrt.output.CompactMask;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * A seeded COCO-sized evaluation workload: {@code gt.json} (images 640x480, 80 categories, ~7 polygon objects per
 * image, 1 in 50 crowd) and {@code results.json} (100 detections per image with boxes and RLE masks: jittered copies
 * of the objects plus random false positives). Same seed, same files.
 */
public final class SyntheticCoco {
    private SyntheticCoco() {}

    static final int W = 640, H = 480, CATS = 80;

    public static void main(String[] args) throws IOException {
        Path dir = Path.of(args.length > 0 ? args[0] : "target/inputs/coco_synthetic");
        int images = args.length > 1 ? Integer.parseInt(args[1]) : 5000;
        int dets = args.length > 2 ? Integer.parseInt(args[2]) : 100;
        generate(dir, images, dets, 42);
        System.out.println("wrote " + dir);
    }

    public static void generate(Path dir, int images, int detsPerImage, long seed) throws IOException {
        Files.createDirectories(dir);
        Random rnd = new Random(seed);
        List<double[]> objects = new ArrayList<>(); // per object: image, cat, cx, cy, rx, ry
        JsonFactory f = new JsonFactory();
        try (JsonGenerator g = f.createGenerator(dir.resolve("gt.json").toFile(), JsonEncoding.UTF8)) {
            g.writeStartObject();
            g.writeArrayFieldStart("images");
            for (int i = 1; i <= images; i++) {
                g.writeStartObject();
                g.writeNumberField("id", i);
                g.writeNumberField("width", W);
                g.writeNumberField("height", H);
                g.writeStringField("file_name", String.format("%012d.jpg", i));
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeArrayFieldStart("categories");
            for (int c = 1; c <= CATS; c++) {
                g.writeStartObject();
                g.writeNumberField("id", c);
                g.writeStringField("name", "class" + c);
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeArrayFieldStart("annotations");
            int annId = 1;
            for (int i = 1; i <= images; i++) {
                int n = 1 + rnd.nextInt(13);
                for (int o = 0; o < n; o++) {
                    double rx = 4 + Math.pow(rnd.nextDouble(), 2) * 150, ry = 4 + Math.pow(rnd.nextDouble(), 2) * 120;
                    double cx = rx + rnd.nextDouble() * Math.max(1, W - 2 * rx), cy = ry + rnd.nextDouble() * Math.max(1, H - 2 * ry);
                    int cat = 1 + rnd.nextInt(CATS);
                    objects.add(new double[] {i, cat, cx, cy, rx, ry});
                    g.writeStartObject();
                    g.writeNumberField("id", annId++);
                    g.writeNumberField("image_id", i);
                    g.writeNumberField("category_id", cat);
                    g.writeNumberField("iscrowd", rnd.nextInt(50) == 0 ? 1 : 0);
                    g.writeNumberField("area", Math.PI * rx * ry);
                    g.writeArrayFieldStart("bbox");
                    g.writeNumber(cx - rx);
                    g.writeNumber(cy - ry);
                    g.writeNumber(2 * rx);
                    g.writeNumber(2 * ry);
                    g.writeEndArray();
                    g.writeArrayFieldStart("segmentation");
                    g.writeStartArray();
                    for (int k = 0; k < 16; k++) {
                        double a = 2 * Math.PI * k / 16;
                        g.writeNumber(Math.round((cx + rx * Math.cos(a)) * 100) / 100.0);
                        g.writeNumber(Math.round((cy + ry * Math.sin(a)) * 100) / 100.0);
                    }
                    g.writeEndArray();
                    g.writeEndArray();
                    g.writeEndObject();
                }
            }
            g.writeEndArray();
            g.writeEndObject();
        }
        int[] categoryIds = new int[CATS];
        for (int c = 0; c < CATS; c++) categoryIds[c] = c + 1;
        try (CocoResultsWriter w = CocoResultsWriter.open(dir.resolve("results.json"), categoryIds)) {
            int next = 0;
            for (int i = 1; i <= images; i++) {
                List<Instance> dets = new ArrayList<>();
                while (next < objects.size() && objects.get(next)[0] == i) {
                    double[] o = objects.get(next++);
                    int copies = 1 + rnd.nextInt(3);
                    for (int c = 0; c < copies && dets.size() < detsPerImage; c++) {
                        double j = 0.3 * rnd.nextGaussian();
                        int cat = rnd.nextInt(10) == 0 ? rnd.nextInt(CATS) : (int) o[1] - 1;
                        dets.add(ellipse(cat, rnd.nextFloat(), o[2] + j * o[4], o[3] + j * o[5],
                                o[4] * (1 + 0.2 * rnd.nextGaussian()), o[5] * (1 + 0.2 * rnd.nextGaussian())));
                    }
                }
                while (dets.size() < detsPerImage) {
                    double rx = 3 + rnd.nextDouble() * 60, ry = 3 + rnd.nextDouble() * 60;
                    dets.add(ellipse(rnd.nextInt(CATS), rnd.nextFloat() * 0.5f, rnd.nextDouble() * W,
                            rnd.nextDouble() * H, rx, ry));
                }
                w.write(i, dets);
            }
        }
    }

    private static Instance ellipse(int cls, float score, double cx, double cy, double rx, double ry) {
        rx = Math.max(1, Math.abs(rx));
        ry = Math.max(1, Math.abs(ry));
        int x0 = (int) Math.max(0, Math.floor(cx - rx)), x1 = (int) Math.min(W, Math.ceil(cx + rx));
        int y0 = (int) Math.max(0, Math.floor(cy - ry)), y1 = (int) Math.min(H, Math.ceil(cy + ry));
        if (x1 <= x0 || y1 <= y0) {
            x0 = Math.min(W - 1, Math.max(0, (int) cx));
            y0 = Math.min(H - 1, Math.max(0, (int) cy));
            x1 = x0 + 1;
            y1 = y0 + 1;
        }
        int bw = x1 - x0, bh = y1 - y0;
        byte[] bits = new byte[bw * bh];
        for (int y = 0; y < bh; y++) {
            for (int x = 0; x < bw; x++) {
                double dx = (x0 + x + 0.5 - cx) / rx, dy = (y0 + y + 0.5 - cy) / ry;
                if (dx * dx + dy * dy <= 1) bits[y * bw + x] = 1;
            }
        }
        CompactMask m = new CompactMask(H, W, x0, y0, bw, bh, bits);
        return new Instance(cls, "c" + cls, score, x0, y0, x1, y1, m);
    }
}
