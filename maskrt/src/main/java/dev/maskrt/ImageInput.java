package dev.maskrt;

import dev.maskrt.image.DecodedImage;
import dev.maskrt.image.ImageDecoder;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import org.bytedeco.opencv.opencv_core.Mat;

/**
 * One image to predict on, with the name that results and error messages use. Made from a file, encoded bytes
 * (PNG, JPEG, TIFF), an OpenCV {@link Mat} ({@code CV_8U}/{@code CV_16U}/{@code CV_32F}, 1, 3 or 4 channels in
 * OpenCV's BGR(A) order) or a {@link BufferedImage}. Decoding happens inside {@link Predictor#predict}, so a corrupt
 * file fails there, as an {@link dev.maskrt.error.InputFormatException} naming the image. Immutable; the wrapped bytes,
 * Mat or image must not change until the prediction returns.
 */
public abstract class ImageInput {
    private final String name;

    private ImageInput(String name) {
        if (name == null || name.isEmpty()) throw new IllegalArgumentException("name must not be empty");
        this.name = name;
    }

    /**
     * The image's name, used in results and error messages.
     *
     * @return the file path, or the name given
     */
    public final String name() { return name; }

    /** Decodes the image into the model's channel order. */
    abstract DecodedImage decode(ImageDecoder decoder);

    /**
     * An image file; its path is its name. Read when predicted.
     *
     * @param file a PNG, JPEG, TIFF or BMP file
     * @return the input
     */
    public static ImageInput of(Path file) {
        if (file == null) throw new IllegalArgumentException("file must not be null");
        return new ImageInput(file.toString()) {
            @Override
            DecodedImage decode(ImageDecoder decoder) { return decoder.decode(file); }
        };
    }

    /**
     * The content of an image file (not copied).
     *
     * @param encoded the file's bytes (PNG, JPEG, TIFF, BMP)
     * @param name the name used in results and messages, not empty
     * @return the input
     */
    public static ImageInput of(byte[] encoded, String name) {
        if (encoded == null) throw new IllegalArgumentException("encoded must not be null");
        return new ImageInput(name) {
            @Override
            DecodedImage decode(ImageDecoder decoder) { return decoder.decode(encoded, name()); }
        };
    }

    /**
     * An OpenCV image as {@code imread} returns it; only read.
     *
     * @param mat BGR, BGRA or gray, 8- or 16-bit unsigned or 32-bit float
     * @param name the name used in results and messages, not empty
     * @return the input
     */
    public static ImageInput of(Mat mat, String name) {
        if (mat == null) throw new IllegalArgumentException("mat must not be null");
        return new ImageInput(name) {
            @Override
            DecodedImage decode(ImageDecoder decoder) { return decoder.fromMat(mat, name()); }
        };
    }

    /**
     * A Java image; only read.
     *
     * @param image gray, RGB(A) or BGR(A) with 8- or 16-bit samples, or any image {@code getRGB} can read
     * @param name the name used in results and messages, not empty
     * @return the input
     */
    public static ImageInput of(BufferedImage image, String name) {
        if (image == null) throw new IllegalArgumentException("image must not be null");
        return new ImageInput(name) {
            @Override
            DecodedImage decode(ImageDecoder decoder) { return decoder.fromBufferedImage(image); }
        };
    }

    @Override
    public String toString() { return "ImageInput[" + name + "]"; }
}
