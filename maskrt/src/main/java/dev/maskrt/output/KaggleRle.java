package dev.maskrt.output;

import dev.maskrt.error.InputFormatException;
import java.util.Arrays;
import java.util.Objects;

/**
 * Kaggle run-length encoding: {@code "start length start length ..."}, starts 1-indexed in a {@link PixelOrder},
 * runs sorted, disjoint and separated by single spaces. A run may continue from the end of one row (or column) into
 * the next, exactly as an encoder over the flattened image would write it.
 *
 * <p>Encoding works on the box-local bitmap of a {@link CompactMask} and never builds the full image; decoding
 * likewise fills only the bounding rectangle of the runs. Stateless and thread-safe.
 */
public final class KaggleRle {
    private KaggleRle() {}

    /**
     * The runs of a mask as {@code [start0, length0, start1, length1, ...]}, starts 1-indexed in {@code order};
     * adjacent runs are merged. An empty mask gives an empty array.
     *
     * @param mask the mask
     * @param order the pixel numbering (row-major: Sartorius; column-major: DSB 2018, Airbus)
     * @return {@code [start0, length0, ...]}
     */
    public static int[] runs(CompactMask mask, PixelOrder order) {
        Objects.requireNonNull(mask, "mask");
        Objects.requireNonNull(order, "order");
        checkPixelCount(mask.imageHeight(), mask.imageWidth());
        RunBuilder out = new RunBuilder();
        int w = mask.width(), h = mask.height();
        if (order == PixelOrder.ROW_MAJOR) {
            for (int r = 0; r < h; r++) {
                int base = (mask.y() + r) * mask.imageWidth() + mask.x() + 1;
                int rowOffset = r * w;
                int c = 0;
                while (c < w) {
                    if (mask.bitAt(rowOffset + c) == 0) { c++; continue; }
                    int start = c;
                    while (c < w && mask.bitAt(rowOffset + c) != 0) c++;
                    out.add(base + start, c - start);
                }
            }
        } else {
            for (int c = 0; c < w; c++) {
                int base = (mask.x() + c) * mask.imageHeight() + mask.y() + 1;
                int r = 0;
                while (r < h) {
                    if (mask.bitAt(r * w + c) == 0) { r++; continue; }
                    int start = r;
                    while (r < h && mask.bitAt(r * w + c) != 0) r++;
                    out.add(base + start, r - start);
                }
            }
        }
        return out.toArray();
    }

    /**
     * @param mask the mask
     * @param order the pixel numbering (row-major: Sartorius; column-major: DSB 2018, Airbus)
     * @return the encoded string of {@link #runs}; an empty mask gives {@code ""}
     */
    public static String encode(CompactMask mask, PixelOrder order) {
        return format(runs(mask, order));
    }

    /**
     * @param runs {@code [start, length, ...]}
     * @return the values joined with single spaces
     */
    public static String format(int[] runs) {
        StringBuilder sb = new StringBuilder(runs.length * 6);
        for (int i = 0; i < runs.length; i++) {
            if (i > 0) sb.append(' ');
            sb.append(runs[i]);
        }
        return sb.toString();
    }

    /**
     * Parses and validates an encoded string for an image of {@code pixelCount} pixels. Whitespace between values
     * may be any run of spaces or tabs; an empty or blank string means no pixel.
     *
     * @param rle the encoded runs
     * @param pixelCount the image's pixels
     * @return {@code [start0, length0, ...]}, starts 1-indexed
     * @throws InputFormatException (message without file context, for the caller to prefix) if a value is not a
     *     positive integer, the count of values is odd, a run leaves the image, or runs overlap or are unsorted
     */
    public static int[] parse(CharSequence rle, long pixelCount) {
        Objects.requireNonNull(rle, "rle");
        int[] values = new int[16];
        int n = 0;
        int len = rle.length();
        int i = 0;
        long previousEnd = 0; // 1-indexed last pixel of the previous run
        while (true) {
            while (i < len && isSpace(rle.charAt(i))) i++;
            if (i >= len) break;
            int tokenStart = i;
            long v = 0;
            boolean digits = true;
            while (i < len && !isSpace(rle.charAt(i))) {
                char ch = rle.charAt(i);
                if (ch < '0' || ch > '9' || v > Integer.MAX_VALUE) digits = false;
                else v = v * 10 + (ch - '0');
                i++;
            }
            if (!digits || v > Integer.MAX_VALUE) {
                throw new InputFormatException("value " + (n + 1) + " '" + rle.subSequence(tokenStart, i)
                        + "' is not an integer in 0..2147483647");
            }
            if (n == values.length) values = Arrays.copyOf(values, n * 2);
            values[n++] = (int) v;
            if ((n & 1) == 0) {
                long start = values[n - 2], length = values[n - 1];
                int run = n / 2;
                if (start < 1) {
                    throw new InputFormatException("run " + run + ": start " + start + " is not >= 1 (starts are 1-indexed)");
                }
                if (length < 1) {
                    throw new InputFormatException("run " + run + ": length " + length + " is not >= 1");
                }
                long end = start + length - 1;
                if (end > pixelCount) {
                    throw new InputFormatException("run " + run + ": pixels " + start + ".." + end
                            + " go past the image's " + pixelCount + " pixels");
                }
                if (start <= previousEnd) {
                    throw new InputFormatException("run " + run + ": start " + start
                            + " overlaps or precedes the previous run, which ends at pixel " + previousEnd);
                }
                previousEnd = end;
            }
        }
        if ((n & 1) != 0) {
            throw new InputFormatException("odd number of values (" + n + "): expected start/length pairs");
        }
        return Arrays.copyOf(values, n);
    }

    /**
     * Decodes an encoded string into a compact mask over an image of {@code imageHeight x imageWidth}, covering the
     * tight bounding rectangle of the runs (the empty mask when there are none).
     *
     * @param rle the encoded runs
     * @param imageHeight rows of the image
     * @param imageWidth columns of the image
     * @param order the pixel numbering (row-major: Sartorius; column-major: DSB 2018, Airbus)
     * @return the mask
     * @throws InputFormatException as {@link #parse}
     */
    public static CompactMask decode(CharSequence rle, int imageHeight, int imageWidth, PixelOrder order) {
        Objects.requireNonNull(order, "order");
        checkPixelCount(imageHeight, imageWidth);
        return toMask(parse(rle, (long) imageHeight * imageWidth), imageHeight, imageWidth, order);
    }

    /**
     * Builds the compact mask of validated runs.
     *
     * @param runs runs as {@link #parse} returns them
     * @param imageHeight rows of the image
     * @param imageWidth columns of the image
     * @param order the pixel numbering (row-major: Sartorius; column-major: DSB 2018, Airbus)
     * @return the mask
     */
    public static CompactMask toMask(int[] runs, int imageHeight, int imageWidth, PixelOrder order) {
        if (runs.length == 0) return CompactMask.empty(imageHeight, imageWidth);
        int line = order.lineLength(imageHeight, imageWidth);      // pixels per line (row or column)
        int firstLine = Integer.MAX_VALUE, lastLine = -1, firstPos = Integer.MAX_VALUE, lastPos = -1;
        for (int k = 0; k < runs.length; k += 2) {
            int s = runs[k] - 1, e = runs[k] + runs[k + 1] - 2;     // 0-indexed first and last pixel
            int sl = s / line, el = e / line;
            firstLine = Math.min(firstLine, sl);
            lastLine = Math.max(lastLine, el);
            if (sl == el) {
                firstPos = Math.min(firstPos, s % line);
                lastPos = Math.max(lastPos, e % line);
            } else {                                             // wraps: spans every position of a line
                firstPos = 0;
                lastPos = line - 1;
            }
        }
        boolean rowMajor = order == PixelOrder.ROW_MAJOR;
        int x = rowMajor ? firstPos : firstLine, y = rowMajor ? firstLine : firstPos;
        int w = rowMajor ? lastPos - firstPos + 1 : lastLine - firstLine + 1;
        int h = rowMajor ? lastLine - firstLine + 1 : lastPos - firstPos + 1;
        byte[] bits = new byte[w * h];
        for (int k = 0; k < runs.length; k += 2) {
            int s = runs[k] - 1, e = s + runs[k + 1];
            for (int p = s; p < e; p++) {
                int ln = p / line, pos = p % line;
                int col = rowMajor ? pos : ln, row = rowMajor ? ln : pos;
                bits[(row - y) * w + (col - x)] = 1;
            }
        }
        return new CompactMask(imageHeight, imageWidth, x, y, w, h, bits);
    }

    private static boolean isSpace(char c) {
        return c == ' ' || c == '\t';
    }

    private static void checkPixelCount(int imageHeight, int imageWidth) {
        if (imageHeight < 0 || imageWidth < 0) {
            throw new IllegalArgumentException("image size must be >= 0, got " + imageHeight + "x" + imageWidth);
        }
        if ((long) imageHeight * imageWidth > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("image of " + imageHeight + "x" + imageWidth
                    + " pixels is too large for 32-bit pixel numbers");
        }
    }

    /** Collects runs, merging one that starts right after the previous one ends. */
    private static final class RunBuilder {
        private int[] data = new int[16];
        private int n;

        void add(int start, int length) {
            if (n > 0 && data[n - 2] + data[n - 1] == start) {
                data[n - 1] += length;
                return;
            }
            if (n + 2 > data.length) data = Arrays.copyOf(data, data.length * 2);
            data[n++] = start;
            data[n++] = length;
        }

        int[] toArray() {
            return Arrays.copyOf(data, n);
        }
    }
}
