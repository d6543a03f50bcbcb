package dev.maskrt.eval;

import dev.maskrt.output.CocoRle;
import dev.maskrt.error.InputFormatException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Ground-truth annotations or loaded results, column by column in primitive arrays. Segmentations stay as read
 * (compressed strings, polygons) until evaluation turns them into RLEs one image at a time, so that a results file
 * of half a million masks does not hold half a million decoded RLEs.
 */
final class Annotations {
    final Object file;
    final String arrayName;
    int size;
    long[] id = new long[64];
    int[] imageIndex = new int[64];
    /** Index into the ground truth's sorted category ids, or -1 when the category is not in the ground truth. */
    int[] categoryIndex = new int[64];
    double[] score = new double[64];
    double[] area = new double[64];
    double[] bbox = new double[256];
    boolean[] hasBbox = new boolean[64];
    boolean[] crowd = new boolean[64];
    CocoJson.Segmentation[] segmentation = new CocoJson.Segmentation[64];
    /** Position of the record in its file (for messages). */
    int[] recordIndex = new int[64];

    Annotations(Object file, String arrayName) {
        this.file = file;
        this.arrayName = arrayName;
    }

    int add() {
        if (size == id.length) {
            int n = size * 2;
            id = Arrays.copyOf(id, n);
            imageIndex = Arrays.copyOf(imageIndex, n);
            categoryIndex = Arrays.copyOf(categoryIndex, n);
            score = Arrays.copyOf(score, n);
            area = Arrays.copyOf(area, n);
            bbox = Arrays.copyOf(bbox, 4 * n);
            hasBbox = Arrays.copyOf(hasBbox, n);
            crowd = Arrays.copyOf(crowd, n);
            segmentation = Arrays.copyOf(segmentation, n);
            recordIndex = Arrays.copyOf(recordIndex, n);
        }
        return size++;
    }

    String where(int i) {
        return arrayName + "[" + recordIndex[i] + "]";
    }

    /**
     * pycocotools {@code COCO.annToRLE}: polygons are rasterised at the image size and merged; a list whose first
     * polygon has exactly 4 numbers is read as boxes {@code [x, y, w, h]}, as {@code frPyObjects} does; RLE objects
     * keep their own size.
     */
    CocoRle toRle(int i, int imageHeight, int imageWidth) {
        CocoJson.Segmentation s = segmentation[i];
        if (s == null) {
            throw InputFormatException.at(file, where(i), "segmentation", "missing (needed for segm evaluation)");
        }
        try {
            return toRle(s, imageHeight, imageWidth);
        } catch (IllegalArgumentException e) {
            throw InputFormatException.at(file, where(i), "segmentation", e.getMessage());
        }
    }

    static CocoRle toRle(CocoJson.Segmentation s, int imageHeight, int imageWidth) {
        if (s instanceof CocoJson.Rle r) {
            if (r.height() != imageHeight || r.width() != imageWidth) {
                throw new IllegalArgumentException("RLE size [" + r.height() + ", " + r.width()
                        + "] disagrees with the image's [" + imageHeight + ", " + imageWidth + "]");
            }
            return r.compressed() != null ? CocoRle.fromCompressedString(r.compressed(), r.height(), r.width())
                    : CocoRle.of(r.height(), r.width(), r.counts());
        }
        if (s instanceof CocoJson.RleList list) {
            if (list.rles().isEmpty()) throw new IllegalArgumentException("empty list");
            List<CocoRle> rles = new ArrayList<>();
            for (CocoJson.Rle r : list.rles()) rles.add(toRle(r, imageHeight, imageWidth));
            return CocoRle.merge(rles, false);
        }
        List<double[]> polys = ((CocoJson.Polygons) s).polygons();
        if (polys.isEmpty()) {
            throw new IllegalArgumentException("empty polygon list (pycocotools cannot read it either)");
        }
        int first = polys.get(0).length;
        if (first == 4) {
            List<CocoRle> rles = new ArrayList<>();
            for (double[] b : polys) {
                if (b.length != 4) throw new IllegalArgumentException("first entry has 4 numbers, so all must be boxes");
                rles.add(CocoRle.fromBbox(b, imageHeight, imageWidth));
            }
            return CocoRle.merge(rles, false);
        }
        if (first < 4) {
            throw new IllegalArgumentException("polygon with " + first + " numbers (at least 6 needed)");
        }
        return CocoRle.fromPolygons(polys, imageHeight, imageWidth);
    }
}
