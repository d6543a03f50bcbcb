package dev.maskrt.output;

import static org.bytedeco.opencv.global.opencv_core.CV_16UC1;
import static org.bytedeco.opencv.global.opencv_core.CV_8UC1;
import static org.bytedeco.opencv.global.opencv_imgcodecs.IMREAD_UNCHANGED;
import static org.bytedeco.opencv.global.opencv_imgcodecs.imread;
import static org.bytedeco.opencv.global.opencv_imgcodecs.imwrite;
import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Path;
import java.util.List;
import org.bytedeco.javacpp.indexer.UByteIndexer;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Scalar;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OverlayRendererTest {
    static final int H = 60, W = 80, GRAY = 100;

    /** A filled rectangle mask [x0, x1) x [y0, y1) on the 80x60 image, with that box. */
    static Instance rect(int cls, float score, int x0, int y0, int x1, int y1) {
        byte[] full = new byte[H * W];
        for (int y = y0; y < y1; y++) for (int x = x0; x < x1; x++) full[y * W + x] = 1;
        return new Instance(cls, "cell", score, x0, y0, x1, y1, CompactMask.fromFullBitmap(full, H, W));
    }

    @Test
    void pngHasTintedMasksBoxesAndUntouchedBackground(@TempDir Path dir) throws Exception {
        Path in = dir.resolve("in.png"), out = dir.resolve("out.png");
        try (Mat gray = new Mat(H, W, CV_8UC1, new Scalar(GRAY))) {
            assertTrue(imwrite(in.toString(), gray));
        }
        Instance a = rect(0, 0.87f, 20, 25, 50, 55);
        Instance b = rect(1, 0.5f, 56, 5, 78, 40); // label inside the box, at its top
        new OverlayRenderer().render(in, List.of(a, b), out);
        try (Mat png = imread(out.toString(), IMREAD_UNCHANGED); UByteIndexer px = png.createIndexer()) {
            assertEquals(3, png.channels());
            assertEquals(H, png.rows());
            assertEquals(W, png.cols());
            int[] ca = OverlayRenderer.classColorBgr(0), cb = OverlayRenderer.classColorBgr(1);
            // inside a mask, away from box edges and labels: round(0.55 * 100 + 0.45 * colour)
            for (int ch = 0; ch < 3; ch++) {
                assertEquals(Math.round(0.55 * GRAY + 0.45 * ca[ch]), px.get(40, 35, ch), "a, channel " + ch);
                assertEquals(Math.round(0.55 * GRAY + 0.45 * cb[ch]), px.get(32, 66, ch), "b, channel " + ch);
            }
            // far from every instance: the gray value in all three channels
            for (int ch = 0; ch < 3; ch++) {
                assertEquals(GRAY, px.get(5, 5, ch));
                assertEquals(GRAY, px.get(58, 78, ch));
                assertEquals(GRAY, px.get(45, 53, ch)); // between the two masks
            }
            // box edge: the class colour itself (left edge of a, row 45)
            for (int ch = 0; ch < 3; ch++) assertEquals(ca[ch], px.get(45, 20, ch));
            // the label above a's box changes some pixels in rows 12..24 near its left edge
            int changed = 0;
            for (int y = 12; y < 25; y++) for (int x = 20; x < 70; x++) if (x < 55 && px.get(y, x, 1) != GRAY) changed++;
            assertTrue(changed > 10, "label pixels: " + changed);
        }
    }

    @Test
    void sixteenBitGrayIsScaledAndSizeMismatchRejected() {
        try (Mat gray16 = new Mat(H, W, CV_16UC1, new Scalar(200 * 256));
             Mat out = new OverlayRenderer(0.45, false, false).render(gray16, List.of());
             UByteIndexer px = out.createIndexer()) {
            assertEquals(200, px.get(3, 3, 2));
        }
        try (Mat small = new Mat(10, 10, CV_8UC1, new Scalar(0))) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> new OverlayRenderer().render(small, List.of(rect(0, 1f, 0, 0, 2, 2))));
            assertTrue(e.getMessage().contains("instances[0].mask"));
        }
        assertThrows(IllegalArgumentException.class, () -> new OverlayRenderer(1.5, true, true));
    }
}
