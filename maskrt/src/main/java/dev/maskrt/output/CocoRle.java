package dev.maskrt.output;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * A binary mask in COCO run-length encoding, bit-exact with pycocotools ({@code maskApi.c} / {@code mask.pyx}).
 *
 * <p>Conventions: the image is {@code height} rows by {@code width} columns; pixels are visited in
 * <b>column-major</b> order (index {@code x * height + y}); {@code counts} alternates runs of 0s and 1s and always
 * starts with a run of 0s (possibly of length 0). The counts sum to {@code height * width}.
 *
 * <p>Every operation follows the pycocotools C code step by step, including its quirks (documented on each
 * method), so that areas, boxes, IoUs and compressed strings agree bit for bit. Instances are immutable and
 * thread-safe.
 */
public final class CocoRle {
    private final int height;
    private final int width;
    private final int[] counts;

    private CocoRle(int height, int width, int[] counts) {
        this.height = height;
        this.width = width;
        this.counts = counts;
    }

    /** @return rows of the image */
    public int height() { return height; }

    /** @return columns of the image */
    public int width() { return width; }

    /** @return a copy of the run lengths (first run is zeros) */
    public int[] counts() { return counts.clone(); }

    /** @return number of runs */
    public int runCount() { return counts.length; }

    /**
     * @param height image rows, {@code >= 0}
     * @param width image columns, {@code >= 0}
     * @param counts run lengths, each {@code >= 0}, summing to {@code height * width}; copied
     * @return the RLE
     * @throws IllegalArgumentException naming the argument if the sizes or counts are invalid
     */
    public static CocoRle of(int height, int width, int[] counts) {
        Objects.requireNonNull(counts, "counts");
        checkSize(height, width);
        long sum = 0;
        for (int i = 0; i < counts.length; i++) {
            if (counts[i] < 0) {
                throw new IllegalArgumentException("counts[" + i + "] is negative: " + counts[i]);
            }
            sum += counts[i];
        }
        if (sum != (long) height * width) {
            throw new IllegalArgumentException("counts: sum " + sum + " != height*width = " + (long) height * width);
        }
        return new CocoRle(height, width, counts.clone());
    }

    private static void checkSize(int height, int width) {
        if (height < 0 || width < 0) {
            throw new IllegalArgumentException("height/width must be >= 0, got " + height + "x" + width);
        }
        if ((long) height * width > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("image " + width + "x" + height + " has more than 2^31-1 pixels");
        }
    }

    /** Accumulates runs of a column-major pixel stream, as rleEncode does (first run is zeros). */
    private static final class RunBuilder {
        private int[] runs = new int[16];
        private int n;
        private int value;   // value of the current run
        private int current; // length of the current run

        void add(int v, int length) {
            if (length <= 0) return;
            if (v != value) {
                push(current);
                current = 0;
                value = v;
            }
            current += length;
        }

        private void push(int c) {
            if (n == runs.length) runs = Arrays.copyOf(runs, n * 2);
            runs[n++] = c;
        }

        int[] finish() {
            push(current);
            return Arrays.copyOf(runs, n);
        }
    }

    /**
     * Encodes a compact mask straight from its box-local bitmap: columns outside the rectangle and the rows above
     * and below it become runs of zeros without any full-size image being built.
     *
     * @param mask the mask
     * @return its RLE over the mask's image size
     */
    public static CocoRle encode(CompactMask mask) {
        Objects.requireNonNull(mask, "mask");
        int h = mask.imageHeight(), w = mask.imageWidth();
        checkSize(h, w);
        RunBuilder rb = new RunBuilder();
        int mx = mask.x(), my = mask.y(), mw = mask.width(), mh = mask.height();
        if (mw == 0 || mh == 0) {
            rb.add(0, h * w);
            return new CocoRle(h, w, rb.finish());
        }
        rb.add(0, mx * h);
        for (int c = 0; c < mw; c++) {
            rb.add(0, my);
            for (int r = 0; r < mh; r++) {
                rb.add(mask.bitAt(r * mw + c) != 0 ? 1 : 0, 1);
            }
            rb.add(0, h - my - mh);
        }
        rb.add(0, (w - mx - mw) * h);
        return new CocoRle(h, w, rb.finish());
    }

    /**
     * Encodes a full-image row-major bitmap ({@code bitmap[y * width + x]}, non-zero = set) — the layout of a
     * numpy {@code [h, w]} array; pycocotools {@code encode} wants Fortran order, this takes care of it.
     *
     * @param bitmap {@code height * width} bytes
     * @param height image rows
     * @param width image columns
     * @return the RLE
     */
    public static CocoRle encodeRowMajor(byte[] bitmap, int height, int width) {
        Objects.requireNonNull(bitmap, "bitmap");
        checkSize(height, width);
        if (bitmap.length != height * width) {
            throw new IllegalArgumentException("bitmap: length " + bitmap.length + " != height*width = " + height * width);
        }
        RunBuilder rb = new RunBuilder();
        for (int x = 0; x < width; x++) {
            for (int y = 0; y < height; y++) {
                rb.add(bitmap[y * width + x] != 0 ? 1 : 0, 1);
            }
        }
        return new CocoRle(height, width, rb.finish());
    }

    /** @return the full image, {@code height * width} bytes of 0/1, row-major ({@code [y * width + x]}) */
    public byte[] decodeRowMajor() {
        byte[] out = new byte[height * width];
        long pos = 0;
        for (int j = 0; j < counts.length; j++) {
            int c = counts[j];
            if ((j & 1) == 1) {
                for (long p = pos; p < pos + c; p++) {
                    int x = (int) (p / height), y = (int) (p % height);
                    out[y * width + x] = 1;
                }
            }
            pos += c;
        }
        return out;
    }

    /** @return the mask as a {@link CompactMask} cropped to the tight rectangle of its set pixels */
    public CompactMask toCompactMask() {
        int minX = Integer.MAX_VALUE, maxX = -1, minY = Integer.MAX_VALUE, maxY = -1;
        long pos = 0;
        for (int j = 0; j < counts.length; j++) {
            int c = counts[j];
            if ((j & 1) == 1 && c > 0) {
                long end = pos + c - 1;
                int x0 = (int) (pos / height), x1 = (int) (end / height);
                int y0 = (int) (pos % height), y1 = (int) (end % height);
                minX = Math.min(minX, x0);
                maxX = Math.max(maxX, x1);
                if (x0 == x1) {
                    minY = Math.min(minY, y0);
                    maxY = Math.max(maxY, y1);
                } else { // the run wraps from the bottom of column x0 to the top of column x1
                    minY = 0;
                    maxY = height - 1;
                }
            }
            pos += c;
        }
        if (maxX < 0) {
            return CompactMask.empty(height, width);
        }
        int bw = maxX - minX + 1, bh = maxY - minY + 1;
        byte[] bits = new byte[bw * bh];
        pos = 0;
        for (int j = 0; j < counts.length; j++) {
            int c = counts[j];
            if ((j & 1) == 1) {
                for (long p = pos; p < pos + c; p++) {
                    int x = (int) (p / height), y = (int) (p % height);
                    bits[(y - minY) * bw + (x - minX)] = 1;
                }
            }
            pos += c;
        }
        return new CompactMask(height, width, minX, minY, bw, bh, bits);
    }

    /**
     * pycocotools {@code rleToString}: each count (after the first two, its difference from the count two before)
     * is written as a signed LEB128-like number in 5-bit groups, low group first, each group plus a continuation
     * bit (0x20) offset by 48 into one ASCII character.
     *
     * @return the compressed string, as in COCO JSON's {@code segmentation.counts}
     */
    public String toCompressedString() {
        StringBuilder sb = new StringBuilder(counts.length * 2);
        for (int i = 0; i < counts.length; i++) {
            long x = Integer.toUnsignedLong(counts[i]);
            if (i > 2) x -= Integer.toUnsignedLong(counts[i - 2]);
            boolean more = true;
            while (more) {
                int c = (int) (x & 0x1f);
                x >>= 5;
                more = (c & 0x10) != 0 ? x != -1 : x != 0;
                if (more) c |= 0x20;
                sb.append((char) (c + 48));
            }
        }
        return sb.toString();
    }

    /**
     * pycocotools {@code rleFrString}: the inverse of {@link #toCompressedString()}.
     *
     * @param s the compressed string
     * @param height image rows
     * @param width image columns
     * @return the RLE
     * @throws IllegalArgumentException naming {@code s} if a character is outside {@code '0'..'o'}, the string ends
     *     inside a number, or the decoded counts do not sum to {@code height * width}
     */
    public static CocoRle fromCompressedString(String s, int height, int width) {
        Objects.requireNonNull(s, "s");
        checkSize(height, width);
        int[] cnts = new int[s.length()];
        int m = 0, p = 0, n = s.length();
        while (p < n) {
            long x = 0;
            int k = 0;
            boolean more = true;
            while (more) {
                if (p >= n) {
                    throw new IllegalArgumentException("s: compressed RLE string ends inside a count");
                }
                int c = s.charAt(p) - 48;
                if (c < 0 || c > 63) {
                    throw new IllegalArgumentException("s: character '" + s.charAt(p) + "' at " + p
                            + " is not a compressed RLE character ('0'..'o')");
                }
                x |= (long) (c & 0x1f) << (5 * k);
                more = (c & 0x20) != 0;
                p++;
                k++;
                if (!more && (c & 0x10) != 0) x |= -1L << (5 * k);
            }
            if (m > 2) x += Integer.toUnsignedLong(cnts[m - 2]);
            cnts[m++] = (int) x;
        }
        int[] counts = Arrays.copyOf(cnts, m);
        try {
            return of(height, width, counts);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("s: decodes to invalid counts for a " + width + "x" + height
                    + " image: " + e.getMessage(), e);
        }
    }

    /** @return pycocotools {@code rleArea}: the number of set pixels (sum of the odd-indexed counts) */
    public long area() {
        long a = 0;
        for (int j = 1; j < counts.length; j += 2) a += counts[j];
        return a;
    }

    /**
     * pycocotools {@code rleToBbox}: {@code [x, y, w, h]} in pixels. Quirk kept on purpose: when a run of ones
     * continues from one column into the next, the box's rows become the whole image height ({@code y = 0},
     * {@code h = height}). An empty mask gives {@code [0, 0, 0, 0]}.
     *
     * @return {@code [x, y, w, h]}
     */
    public double[] toBbox() {
        double[] bb = new double[4];
        toBbox(bb, 0);
        return bb;
    }

    void toBbox(double[] out, int offset) {
        long h = height;
        int m = (counts.length / 2) * 2;
        if (m == 0 || h == 0) {
            // h == 0 implies an empty mask; pycocotools would divide by zero there
            out[offset] = out[offset + 1] = out[offset + 2] = out[offset + 3] = 0;
            return;
        }
        // uint arithmetic as in C, so that degenerate counts (a leading zero-length run of ones) match too
        final long u32 = 0xffffffffL;
        long xs = width, ys = h, xe = 0, ye = 0, cc = 0, xp = 0;
        for (int j = 0; j < m; j++) {
            cc = (cc + counts[j]) & u32;
            long t = (cc - (j % 2)) & u32;
            long y = t % h, x = (t - y) / h;
            if (j % 2 == 0) {
                xp = x;
            } else if (xp < x) {
                ys = 0;
                ye = h - 1;
            }
            xs = Math.min(xs, x);
            xe = Math.max(xe, x);
            ys = Math.min(ys, y);
            ye = Math.max(ye, y);
        }
        out[offset] = xs;
        out[offset + 2] = xe - xs + 1;
        out[offset + 1] = ys;
        out[offset + 3] = ye - ys + 1;
    }

    /**
     * pycocotools {@code rleMerge}: union ({@code intersect == false}) or intersection of the masks, folded left to
     * right. An empty list gives a 0x0 mask with no runs (as pycocotools); a single mask is returned as is.
     *
     * @param rles the masks, all of one image size
     * @param intersect false for the union, true for the intersection
     * @return the merged RLE
     * @throws IllegalArgumentException if the masks differ in size (pycocotools silently returns a 0x0 mask)
     */
    public static CocoRle merge(List<CocoRle> rles, boolean intersect) {
        Objects.requireNonNull(rles, "rles");
        if (rles.isEmpty()) return new CocoRle(0, 0, new int[0]);
        CocoRle first = rles.get(0);
        int h = first.height, w = first.width;
        for (int i = 1; i < rles.size(); i++) {
            CocoRle r = rles.get(i);
            if (r.height != h || r.width != w) {
                throw new IllegalArgumentException("rles[" + i + "]: size " + r.width + "x" + r.height
                        + " differs from rles[0]'s " + w + "x" + h);
            }
        }
        if (rles.size() == 1) return first;
        int[] acc = first.counts;
        int accLen = acc.length;
        int[] buf = new int[16];
        for (int i = 1; i < rles.size(); i++) {
            int[] b = rles.get(i).counts;
            // the loop of maskApi.c rleMerge, kept literal so that degenerate inputs (zero runs) merge identically
            int m = 0;
            if (buf.length < accLen + b.length + 1) buf = new int[accLen + b.length + 1];
            long ca = accLen > 0 ? acc[0] : 0, cb = b.length > 0 ? b[0] : 0;
            boolean v = false, va = false, vb = false, vp;
            int ia = 1, ib = 1;
            long cc = 0, ct = 1;
            while (ct > 0) {
                long c = Math.min(ca, cb);
                cc += c;
                ct = 0;
                ca -= c;
                if (ca == 0 && ia < accLen) { ca = acc[ia++]; va = !va; }
                ct += ca;
                cb -= c;
                if (cb == 0 && ib < b.length) { cb = b[ib++]; vb = !vb; }
                ct += cb;
                vp = v;
                v = intersect ? (va && vb) : (va || vb);
                if (v != vp || ct == 0) {
                    buf[m++] = (int) cc;
                    cc = 0;
                }
            }
            acc = Arrays.copyOf(buf, m);
            accLen = m;
        }
        return new CocoRle(h, w, acc);
    }

    /**
     * pycocotools {@code rleFrPoly}: rasterises one closed polygon {@code [x0, y0, x1, y1, ...]} (pixel
     * coordinates, an odd trailing value is ignored like {@code len // 2}) exactly as the C code does: vertices
     * are scaled by 5 and rounded with {@code (int)(5x + .5)} (truncation toward zero), edges are walked in that
     * upsampled grid, and the crossings of pixel-centre columns become the runs. Vertices may repeat and may lie
     * outside the image.
     *
     * @param xy the polygon's vertices {@code [x0, y0, x1, y1, ...]}
     * @param height image rows
     * @param width image columns
     * @return the RLE
     */
    public static CocoRle fromPolygon(double[] xy, int height, int width) {
        Objects.requireNonNull(xy, "xy");
        checkSize(height, width);
        final double scale = 5;
        int k = xy.length / 2;
        int[] x = new int[k + 1], y = new int[k + 1];
        for (int j = 0; j < k; j++) x[j] = (int) (scale * xy[2 * j] + .5);
        for (int j = 0; j < k; j++) y[j] = (int) (scale * xy[2 * j + 1] + .5);
        if (k == 0) {
            return new CocoRle(height, width, new int[] {height * width});
        }
        x[k] = x[0];
        y[k] = y[0];
        long total = 0;
        for (int j = 0; j < k; j++) {
            total += Math.max(Math.abs(x[j] - x[j + 1]), Math.abs(y[j] - y[j + 1])) + 1;
        }
        if (total > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("xy: polygon too large to rasterise (" + total + " boundary points)");
        }
        int[] u = new int[(int) total], v = new int[(int) total];
        int m = 0;
        for (int j = 0; j < k; j++) {
            int xs = x[j], xe = x[j + 1], ys = y[j], ye = y[j + 1];
            int dx = Math.abs(xe - xs), dy = Math.abs(ys - ye);
            boolean flip = (dx >= dy && xs > xe) || (dx < dy && ys > ye);
            if (flip) {
                int t = xs; xs = xe; xe = t;
                t = ys; ys = ye; ye = t;
            }
            // dx == dy == 0 (a repeated vertex) gives s = NaN; that point shares u with its neighbours and is
            // never used below, so Java's (int) NaN == 0 versus C's INT_MIN makes no difference.
            double s = dx >= dy ? (double) (ye - ys) / dx : (double) (xe - xs) / dy;
            if (dx >= dy) {
                for (int d = 0; d <= dx; d++) {
                    int t = flip ? dx - d : d;
                    u[m] = t + xs;
                    v[m] = (int) (ys + s * t + .5);
                    m++;
                }
            } else {
                for (int d = 0; d <= dy; d++) {
                    int t = flip ? dy - d : d;
                    v[m] = t + ys;
                    u[m] = (int) (xs + s * t + .5);
                    m++;
                }
            }
        }
        // points where the boundary crosses a pixel-centre column, downsampled back to pixels
        int n = m;
        long[] a = new long[n + 1];
        int na = 0;
        for (int j = 1; j < n; j++) {
            if (u[j] == u[j - 1]) continue;
            double xd = u[j] < u[j - 1] ? u[j] : u[j] - 1;
            xd = (xd + .5) / scale - .5;
            if (Math.floor(xd) != xd || xd < 0 || xd > width - 1.0) continue;
            double yd = v[j] < v[j - 1] ? v[j] : v[j - 1];
            yd = (yd + .5) / scale - .5;
            if (yd < 0) yd = 0;
            else if (yd > height) yd = height;
            yd = Math.ceil(yd);
            a[na++] = (long) (int) xd * height + (int) yd;
        }
        a[na++] = (long) height * width;
        Arrays.sort(a, 0, na);
        long prev = 0;
        for (int j = 0; j < na; j++) {
            long t = a[j];
            a[j] -= prev;
            prev = t;
        }
        // zero-length runs collapse: the run after them is added to the run before
        int[] b = new int[na];
        int j = 0, mb = 0;
        b[mb++] = (int) a[j++];
        while (j < na) {
            if (a[j] > 0) {
                b[mb++] = (int) a[j++];
            } else {
                j++;
                if (j < na) b[mb - 1] += (int) a[j++];
            }
        }
        return new CocoRle(height, width, Arrays.copyOf(b, mb));
    }

    /**
     * pycocotools {@code frPyObjects(polygons, h, w)} followed by {@code merge}: the union of the polygons' masks.
     * An empty list gives an empty mask.
     *
     * @param polygons the polygons, each {@code [x0, y0, x1, y1, ...]}
     * @param h image rows
     * @param w image columns
     * @return the RLE of their union
     */
    public static CocoRle fromPolygons(List<double[]> polygons, int h, int w) {
        Objects.requireNonNull(polygons, "polygons");
        if (polygons.isEmpty()) {
            checkSize(h, w);
            return new CocoRle(h, w, new int[] {h * w});
        }
        CocoRle[] rles = new CocoRle[polygons.size()];
        for (int i = 0; i < rles.length; i++) {
            rles[i] = fromPolygon(Objects.requireNonNull(polygons.get(i), "polygons[" + i + "]"), h, w);
        }
        return merge(Arrays.asList(rles), false);
    }

    /**
     * pycocotools {@code rleFrBbox}: the box {@code [x, y, w, h]} rasterised as the polygon
     * {@code (x,y) (x,y+h) (x+w,y+h) (x+w,y)}.
     *
     * @param xywh the box
     * @param height image rows
     * @param width image columns
     * @return the RLE
     */
    public static CocoRle fromBbox(double[] xywh, int height, int width) {
        Objects.requireNonNull(xywh, "xywh");
        if (xywh.length != 4) {
            throw new IllegalArgumentException("xywh: length " + xywh.length + " != 4");
        }
        double xs = xywh[0], xe = xs + xywh[2], ys = xywh[1], ye = ys + xywh[3];
        return fromPolygon(new double[] {xs, ys, xs, ye, xe, ye, xe, ys}, height, width);
    }

    /**
     * pycocotools {@code maskUtils.iou} for RLEs ({@code rleIou}): {@code result[d][g]} is the IoU of detection
     * {@code d} and ground truth {@code g}; for a crowd ground truth it is {@code intersection / area(dt)}. As in
     * pycocotools, pairs whose {@link #toBbox() boxes} do not overlap are 0 without looking at the masks, and pairs
     * of different image sizes are -1. Empty {@code dt} or {@code gt} gives a {@code [dt.size()][0]} or empty array.
     *
     * @param dt the detections' masks
     * @param gt the ground truths' masks
     * @param gtIsCrowd one flag per ground truth, or null for none crowd
     * @return {@code [dt.size()][gt.size()]} IoUs
     */
    public static double[][] iou(List<CocoRle> dt, List<CocoRle> gt, boolean[] gtIsCrowd) {
        Objects.requireNonNull(dt, "dt");
        Objects.requireNonNull(gt, "gt");
        if (gtIsCrowd != null && gtIsCrowd.length != gt.size()) {
            throw new IllegalArgumentException("gtIsCrowd: length " + gtIsCrowd.length + " != gt.size() " + gt.size());
        }
        int nd = dt.size(), ng = gt.size();
        double[] db = new double[4 * nd], gb = new double[4 * ng];
        for (int d = 0; d < nd; d++) dt.get(d).toBbox(db, 4 * d);
        for (int g = 0; g < ng; g++) gt.get(g).toBbox(gb, 4 * g);
        double[][] o = bboxIou(db, nd, gb, ng, gtIsCrowd);
        for (int g = 0; g < ng; g++) {
            CocoRle gr = gt.get(g);
            boolean crowd = gtIsCrowd != null && gtIsCrowd[g];
            for (int d = 0; d < nd; d++) {
                if (o[d][g] > 0) {
                    CocoRle dr = dt.get(d);
                    o[d][g] = maskIou(dr, gr, crowd);
                }
            }
        }
        return o;
    }

    /** rleIou for one pair whose boxes overlap. */
    static double maskIou(CocoRle dr, CocoRle gr, boolean crowd) {
        if (dr.height != gr.height || dr.width != gr.width) return -1;
        int[] dc = dr.counts, gc = gr.counts;
        int ka = dc.length, kb = gc.length;
        long ca = ka > 0 ? dc[0] : 0, cb = kb > 0 ? gc[0] : 0;
        boolean va = false, vb = false;
        int a = 1, b = 1;
        long inter = 0, union = 0, ct = 1;
        while (ct > 0) {
            long c = Math.min(ca, cb);
            if (va || vb) {
                union += c;
                if (va && vb) inter += c;
            }
            ct = 0;
            ca -= c;
            if (ca == 0 && a < ka) { ca = dc[a++]; va = !va; }
            ct += ca;
            cb -= c;
            if (cb == 0 && b < kb) { cb = gc[b++]; vb = !vb; }
            ct += cb;
        }
        if (inter == 0) union = 1;
        else if (crowd) union = dr.area();
        return (double) inter / (double) union;
    }

    /**
     * pycocotools {@code bbIou} for boxes {@code [x, y, w, h]}: {@code result[d][g]}; for a crowd ground truth the
     * union is the detection's area.
     *
     * @param dt the detections' boxes
     * @param gt the ground truths' boxes
     * @param gtIsCrowd one flag per ground truth, or null for none crowd
     * @return {@code [dt.size()][gt.size()]} IoUs
     */
    public static double[][] bboxIou(List<double[]> dt, List<double[]> gt, boolean[] gtIsCrowd) {
        Objects.requireNonNull(dt, "dt");
        Objects.requireNonNull(gt, "gt");
        if (gtIsCrowd != null && gtIsCrowd.length != gt.size()) {
            throw new IllegalArgumentException("gtIsCrowd: length " + gtIsCrowd.length + " != gt.size() " + gt.size());
        }
        double[] db = flattenBoxes("dt", dt), gb = flattenBoxes("gt", gt);
        return bboxIou(db, dt.size(), gb, gt.size(), gtIsCrowd);
    }

    private static double[] flattenBoxes(String name, List<double[]> boxes) {
        double[] out = new double[4 * boxes.size()];
        for (int i = 0; i < boxes.size(); i++) {
            double[] b = boxes.get(i);
            if (b == null || b.length != 4) {
                throw new IllegalArgumentException(name + "[" + i + "]: expected 4 values [x, y, w, h]");
            }
            System.arraycopy(b, 0, out, 4 * i, 4);
        }
        return out;
    }

    /**
     * bbIou on flat {@code [x, y, w, h]} arrays.
     *
     * @param db the detections' boxes, {@code 4 * nd} values
     * @param nd the number of detections
     * @param gb the ground truths' boxes, {@code 4 * ng} values
     * @param ng the number of ground truths
     * @param gtIsCrowd one flag per ground truth, or null for none crowd
     * @return {@code result[d][g]}
     */
    public static double[][] bboxIou(double[] db, int nd, double[] gb, int ng, boolean[] gtIsCrowd) {
        double[][] o = new double[nd][ng];
        for (int g = 0; g < ng; g++) {
            double gx = gb[4 * g], gy = gb[4 * g + 1], gw = gb[4 * g + 2], gh = gb[4 * g + 3];
            double ga = gw * gh;
            boolean crowd = gtIsCrowd != null && gtIsCrowd[g];
            for (int d = 0; d < nd; d++) {
                double dx = db[4 * d], dy = db[4 * d + 1], dw = db[4 * d + 2], dh = db[4 * d + 3];
                double da = dw * dh;
                double w = Math.min(dw + dx, gw + gx) - Math.max(dx, gx);
                if (w <= 0) continue;
                double h = Math.min(dh + dy, gh + gy) - Math.max(dy, gy);
                if (h <= 0) continue;
                double i = w * h;
                double u = crowd ? da : da + ga - i;
                o[d][g] = i / u;
            }
        }
        return o;
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof CocoRle)) return false;
        CocoRle r = (CocoRle) o;
        return height == r.height && width == r.width && Arrays.equals(counts, r.counts);
    }

    @Override
    public int hashCode() {
        return Objects.hash(height, width, Arrays.hashCode(counts));
    }

    @Override
    public String toString() {
        return "CocoRle[" + width + "x" + height + ", runs=" + counts.length + ", area=" + area() + "]";
    }
}
