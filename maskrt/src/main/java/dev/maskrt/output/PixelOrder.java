package dev.maskrt.output;

/**
 * The order in which the pixels of an image are numbered for a Kaggle run-length encoding. Pixel numbers are
 * 1-indexed in both orders.
 */
public enum PixelOrder {
    /** Along rows first: pixel (column x, row y) is number {@code y * width + x + 1} (Sartorius 2021). */
    ROW_MAJOR,
    /**
     * Down columns first: pixel (column x, row y) is number {@code x * height + y + 1} (Data Science Bowl 2018,
     * Airbus Ship Detection).
     */
    COLUMN_MAJOR;

    /**
     * @param imageHeight rows of the image
     * @param imageWidth columns of the image
     * @return pixels in one line of this order: the image width for row-major, the height for column-major
     */
    public int lineLength(int imageHeight, int imageWidth) {
        return this == ROW_MAJOR ? imageWidth : imageHeight;
    }
}
