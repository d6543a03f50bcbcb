package dev.maskrt.output;

import static org.bytedeco.opencv.global.opencv_core.CV_16U;
import static org.bytedeco.opencv.global.opencv_core.CV_8U;
import static org.bytedeco.opencv.global.opencv_imgcodecs.IMREAD_UNCHANGED;
import static org.bytedeco.opencv.global.opencv_imgcodecs.imread;
import static org.bytedeco.opencv.global.opencv_imgcodecs.imwrite;
import static org.bytedeco.opencv.global.opencv_imgproc.COLOR_BGRA2BGR;
import static org.bytedeco.opencv.global.opencv_imgproc.COLOR_GRAY2BGR;
import static org.bytedeco.opencv.global.opencv_imgproc.FONT_HERSHEY_SIMPLEX;
import static org.bytedeco.opencv.global.opencv_imgproc.LINE_8;
import static org.bytedeco.opencv.global.opencv_imgproc.cvtColor;
import static org.bytedeco.opencv.global.opencv_imgproc.putText;
import static org.bytedeco.opencv.global.opencv_imgproc.rectangle;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.javacpp.indexer.UByteIndexer;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Point;
import org.bytedeco.opencv.opencv_core.Scalar;

/**
 * Draws instances onto their original image for people to look at: each mask tinted with its class colour
 * ({@code out = round((1 - alpha) * pixel + alpha * colour)} per channel, masks blended in list order), each box as
 * a 1-pixel rectangle in the class colour, and a {@code "className score"} label (score to 2 decimals) at the box's
 * top-left corner. Grayscale input becomes BGR, 16-bit input is scaled to 8 bits ({@code / 256}), alpha channels
 * are dropped.
 *
 * <p>Immutable and thread-safe; every native object it makes is released before a method returns, except the
 * {@link Mat} that {@link #render(Mat, List)} returns, which the caller closes.
 */
public final class OverlayRenderer {
    /** Default mask opacity. */
    public static final double DEFAULT_ALPHA = 0.45;

    /** BGR colours cycled by class index: distinct, saturated, readable on gray cell images. */
    private static final int[][] PALETTE = {
        {0, 200, 255}, {255, 128, 0}, {60, 220, 60}, {220, 60, 220}, {40, 40, 240},
        {240, 240, 0}, {0, 140, 255}, {160, 80, 255}, {120, 255, 180}, {255, 0, 120},
    };

    private final double alpha;
    private final boolean drawBoxes;
    private final boolean drawLabels;

    /** Masks at {@link #DEFAULT_ALPHA}, boxes and labels drawn. */
    public OverlayRenderer() {
        this(DEFAULT_ALPHA, true, true);
    }

    /**
     * @param alpha mask opacity in [0, 1]
     * @param drawBoxes whether to draw box rectangles
     * @param drawLabels whether to draw {@code "className score"} labels
     */
    public OverlayRenderer(double alpha, boolean drawBoxes, boolean drawLabels) {
        if (!(alpha >= 0 && alpha <= 1)) throw new IllegalArgumentException("alpha must be in [0, 1], got " + alpha);
        this.alpha = alpha;
        this.drawBoxes = drawBoxes;
        this.drawLabels = drawLabels;
    }

    /**
     * @param classIndex a class index, {@code >= 0}
     * @return the class's BGR colour, each channel 0..255
     */
    public static int[] classColorBgr(int classIndex) {
        if (classIndex < 0) throw new IllegalArgumentException("classIndex must be >= 0, got " + classIndex);
        return PALETTE[classIndex % PALETTE.length].clone();
    }

    /**
     * Reads {@code image} (any format OpenCV decodes), draws {@code instances} and writes a PNG to {@code png}.
     *
     * @param image the original image file
     * @param instances its instances (masks over the image's size)
     * @param png the PNG to write (replaced)
     * @throws IOException if the image cannot be read or the PNG cannot be written
     * @throws IllegalArgumentException if a mask's image size differs from the image's
     */
    public void render(Path image, List<Instance> instances, Path png) throws IOException {
        Objects.requireNonNull(png, "png");
        if (!Files.isReadable(image)) throw new IOException(image + ": cannot read the image file");
        try (Mat src = imread(image.toString(), IMREAD_UNCHANGED)) {
            if (src == null || src.empty()) throw new IOException(image + ": OpenCV cannot decode the image");
            try (Mat out = render(src, instances)) {
                if (!imwrite(png.toString(), out)) throw new IOException(png + ": OpenCV could not write the PNG");
            }
        }
    }

    /**
     * Draws {@code instances} onto a copy of {@code image}.
     *
     * @param image 1, 3 (BGR) or 4 (BGRA) channels, 8- or 16-bit; not modified
     * @param instances masks over an image of exactly {@code image}'s size; instances without a mask (box-only
     *     models) are drawn as their box
     * @return a new 8-bit BGR image; the caller closes it
     */
    public Mat render(Mat image, List<Instance> instances) {
        Objects.requireNonNull(image, "image");
        Objects.requireNonNull(instances, "instances");
        int rows = image.rows(), cols = image.cols();
        for (int i = 0; i < instances.size(); i++) {
            CompactMask m = instances.get(i).mask();
            if (m == null) continue; // a box-only model's instance: its box is drawn
            if (m.imageHeight() != rows || m.imageWidth() != cols) {
                throw new IllegalArgumentException("instances[" + i + "].mask is over a " + m.imageWidth() + "x"
                        + m.imageHeight() + " image, the image is " + cols + "x" + rows);
            }
        }
        Mat out = new Mat();
        try (PointerScope scope = new PointerScope()) {
            toBgr8(image, out);
            try (UByteIndexer px = out.createIndexer()) {
                for (Instance inst : instances) {
                    if (inst.hasMask()) tint(px, inst.mask(), classColorBgr(inst.classIndex()));
                }
            }
            for (Instance inst : instances) {
                int[] c = classColorBgr(inst.classIndex());
                Scalar colour = new Scalar(c[0], c[1], c[2], 0);
                int x0 = (int) Math.floor(inst.x0()), y0 = (int) Math.floor(inst.y0());
                int x1 = Math.max(x0, (int) Math.ceil(inst.x1()) - 1), y1 = Math.max(y0, (int) Math.ceil(inst.y1()) - 1);
                if (drawBoxes || !inst.hasMask()) { // a box-only instance has nothing else to show
                    rectangle(out, new Point(x0, y0), new Point(x1, y1), colour, inst.hasMask() ? 1 : 2, LINE_8, 0);
                }
                if (drawLabels) {
                    String label = inst.className() + " " + String.format(Locale.ROOT, "%.2f", inst.score());
                    Point at = new Point(x0, y0 > 12 ? y0 - 3 : y0 + 11); // above the box when there is room
                    putText(out, label, at, FONT_HERSHEY_SIMPLEX, 0.35, new Scalar(0, 0, 0, 0), 3, LINE_8, false);
                    putText(out, label, at, FONT_HERSHEY_SIMPLEX, 0.35, colour, 1, LINE_8, false);
                }
            }
        } catch (RuntimeException e) {
            out.close();
            throw e;
        }
        return out;
    }

    private void tint(UByteIndexer px, CompactMask m, int[] bgr) {
        double keep = 1 - alpha;
        for (int r = 0; r < m.height(); r++) {
            for (int c = 0; c < m.width(); c++) {
                if (m.bitAt(r * m.width() + c) == 0) continue;
                long y = m.y() + r, x = m.x() + c;
                for (int ch = 0; ch < 3; ch++) {
                    int v = px.get(y, x, ch);
                    px.put(y, x, ch, (int) Math.round(keep * v + alpha * bgr[ch]));
                }
            }
        }
    }

    /** Converts any 1/3/4-channel 8- or 16-bit image to 8-bit BGR in {@code out}. */
    private static void toBgr8(Mat image, Mat out) {
        Mat src = image;
        if (image.depth() == CV_16U) {
            src = new Mat();
            image.convertTo(src, CV_8U, 1.0 / 256, 0);
        } else if (image.depth() != CV_8U) {
            throw new IllegalArgumentException("image: depth " + image.depth() + " is not 8- or 16-bit unsigned");
        }
        switch (src.channels()) {
            case 1 -> cvtColor(src, out, COLOR_GRAY2BGR);
            case 3 -> src.copyTo(out);
            case 4 -> cvtColor(src, out, COLOR_BGRA2BGR);
            default -> throw new IllegalArgumentException("image: " + src.channels() + " channels, expected 1, 3 or 4");
        }
    }
}
