package dev.maskrt.output;

import java.util.Arrays;
import java.util.Objects;

/**
 * A binary instance mask stored only over a rectangle of its image: the box-local bitmap that mask pasting
 * produces. Pixels outside the rectangle are 0 by definition, so an instance costs {@code width * height}
 * bytes however large the image is.
 *
 * <p>Coordinates are integer pixels of the full image: the rectangle covers columns {@code [x, x + width)} and
 * rows {@code [y, y + height)}, and always lies inside the image ({@code 0 <= x}, {@code x + width <= imageWidth},
 * likewise for rows). The rectangle may be empty ({@code width == 0} or {@code height == 0}).
 *
 * <p>{@code bits} is row-major over the rectangle, one byte per pixel, 0 or 1. Instances are immutable once
 * built (the constructor copies nothing, so a caller must not change the array it passed) and therefore safe to
 * share between threads.
 */
public final class CompactMask {
    private final int imageHeight;
    private final int imageWidth;
    private final int x;
    private final int y;
    private final int width;
    private final int height;
    private final byte[] bits;

    /**
     * @param imageHeight rows of the full image, {@code >= 0}
     * @param imageWidth columns of the full image, {@code >= 0}
     * @param x first column of the rectangle
     * @param y first row of the rectangle
     * @param width columns of the rectangle
     * @param height rows of the rectangle
     * @param bits {@code width * height} bytes, row-major, each 0 or 1; taken over, not copied
     * @throws IllegalArgumentException if the rectangle leaves the image or {@code bits} has the wrong length
     */
    public CompactMask(int imageHeight, int imageWidth, int x, int y, int width, int height, byte[] bits) {
        Objects.requireNonNull(bits, "bits");
        if (imageHeight < 0 || imageWidth < 0) {
            throw new IllegalArgumentException("image size must be >= 0, got " + imageHeight + "x" + imageWidth);
        }
        if (width < 0 || height < 0 || x < 0 || y < 0 || x + width > imageWidth || y + height > imageHeight) {
            throw new IllegalArgumentException("mask rectangle x=" + x + " y=" + y + " width=" + width + " height="
                    + height + " does not lie inside the " + imageWidth + "x" + imageHeight + " image");
        }
        if (bits.length != width * height) {
            throw new IllegalArgumentException("bits: length " + bits.length + " != width*height = " + width * height);
        }
        this.imageHeight = imageHeight;
        this.imageWidth = imageWidth;
        this.x = x;
        this.y = y;
        this.width = width;
        this.height = height;
        this.bits = bits;
    }

    /**
     * @param imageHeight rows of the image
     * @param imageWidth columns of the image
     * @return an empty mask (no pixel set) over an image of that size
     */
    public static CompactMask empty(int imageHeight, int imageWidth) {
        return new CompactMask(imageHeight, imageWidth, 0, 0, 0, 0, new byte[0]);
    }

    /**
     * Builds a compact mask from a full-image row-major bitmap (non-zero = set), cropping to the tight bounding
     * rectangle of the set pixels.
     *
     * @param bitmap {@code imageHeight * imageWidth} bytes, row-major
     * @param imageHeight rows of the image
     * @param imageWidth columns of the image
     * @return the mask
     * @throws IllegalArgumentException when the bitmap's length is not {@code imageHeight * imageWidth}
     */
    public static CompactMask fromFullBitmap(byte[] bitmap, int imageHeight, int imageWidth) {
        if (bitmap.length != imageHeight * imageWidth) {
            throw new IllegalArgumentException("bitmap: length " + bitmap.length + " != " + imageHeight + "*" + imageWidth);
        }
        int minX = imageWidth, minY = imageHeight, maxX = -1, maxY = -1;
        for (int r = 0; r < imageHeight; r++) {
            int row = r * imageWidth;
            for (int c = 0; c < imageWidth; c++) {
                if (bitmap[row + c] != 0) {
                    if (c < minX) minX = c;
                    if (c > maxX) maxX = c;
                    if (r < minY) minY = r;
                    maxY = r;
                }
            }
        }
        if (maxX < 0) {
            return empty(imageHeight, imageWidth);
        }
        int w = maxX - minX + 1, h = maxY - minY + 1;
        byte[] bits = new byte[w * h];
        for (int r = 0; r < h; r++) {
            int src = (minY + r) * imageWidth + minX;
            for (int c = 0; c < w; c++) {
                bits[r * w + c] = bitmap[src + c] != 0 ? (byte) 1 : 0;
            }
        }
        return new CompactMask(imageHeight, imageWidth, minX, minY, w, h, bits);
    }

    /** @return rows of the image the mask is over */
    public int imageHeight() { return imageHeight; }
    /** @return columns of the image the mask is over */
    public int imageWidth() { return imageWidth; }
    /** @return first column of the stored rectangle */
    public int x() { return x; }
    /** @return first row of the stored rectangle */
    public int y() { return y; }
    /** @return columns of the stored rectangle */
    public int width() { return width; }
    /** @return rows of the stored rectangle */
    public int height() { return height; }

    /**
     * @param col a column of the full image (any value)
     * @param row a row of the full image (any value)
     * @return whether that pixel is set (false outside the image)
     */
    public boolean get(int col, int row) {
        int cx = col - x, cy = row - y;
        if (cx < 0 || cy < 0 || cx >= width || cy >= height) {
            return false;
        }
        return bits[cy * width + cx] != 0;
    }

    /**
     * Direct read access to the box-local bitmap.
     *
     * @param index {@code r * width() + c} for pixel (x()+c, y()+r), in {@code [0, width() * height())}
     * @return non-zero when the pixel is set
     */
    public byte bitAt(int index) {
        return bits[index];
    }

    /** @return number of set pixels */
    public long area() {
        long n = 0;
        for (byte b : bits) {
            n += b;
        }
        return n;
    }

    /** @return the full-image row-major bitmap (0/1), {@code imageHeight * imageWidth} bytes. Costs a full image */
    public byte[] toFullBitmap() {
        byte[] out = new byte[imageHeight * imageWidth];
        for (int r = 0; r < height; r++) {
            System.arraycopy(bits, r * width, out, (y + r) * imageWidth + x, width);
        }
        return out;
    }

    /** @return a copy of the box-local bitmap */
    public byte[] bits() {
        return bits.clone();
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof CompactMask)) return false;
        CompactMask m = (CompactMask) o;
        return imageHeight == m.imageHeight && imageWidth == m.imageWidth && x == m.x && y == m.y
                && width == m.width && height == m.height && Arrays.equals(bits, m.bits);
    }

    @Override
    public int hashCode() {
        return Objects.hash(imageHeight, imageWidth, x, y, width, height, Arrays.hashCode(bits));
    }

    @Override
    public String toString() {
        return "CompactMask[image=" + imageWidth + "x" + imageHeight + ", rect=(" + x + "," + y + ")+" + width + "x"
                + height + ", area=" + area() + "]";
    }
}
