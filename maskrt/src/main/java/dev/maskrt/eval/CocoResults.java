package dev.maskrt.eval;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.maskrt.output.CocoRle;
import dev.maskrt.error.InputFormatException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Reads a COCO results file (a JSON array of detections) with pycocotools {@code COCO.loadRes} semantics:
 * <ul>
 *   <li>the <b>first</b> record decides the flavour for all: if it has a non-empty {@code bbox}, every record is a
 *       box result ({@code area = w * h}, and for segm evaluation a missing segmentation becomes the box polygon);
 *       otherwise every record is a mask result ({@code area} = the RLE's area, a missing {@code bbox} = the RLE's
 *       {@code toBbox});</li>
 *   <li>ids are 1..n in file order, {@code iscrowd = 0};</li>
 *   <li>a record whose image is not in the ground truth is an error (pycocotools asserts); so, unlike pycocotools
 *       (which keeps such records and never evaluates them), is a record whose category the ground truth does not
 *       list, and a mask RLE whose {@code size} is not its image's size.</li>
 * </ul>
 * Beyond pycocotools, mask results may also be polygons or uncompressed RLEs (rasterised like ground truth).
 */
final class CocoResults {
    private CocoResults() {}

    static Annotations load(Path json, CocoGroundTruth gt, IouType iouType) throws IOException {
        Annotations table = new Annotations(json, "results");
        int record = -1; // the record being read, for syntax errors
        try (InputStream in = Files.newInputStream(json); JsonParser p = CocoJson.FACTORY.createParser(in)) {
            if (p.nextToken() != JsonToken.START_ARRAY) {
                throw InputFormatException.at(json, null, null, "a COCO results file must be a JSON array");
            }
            Boolean boxFlavour = null;
            record = 0;
            for (int r = 0; p.nextToken() != JsonToken.END_ARRAY; record = ++r) {
                String where = CocoJson.where("results", r);
                CocoJson.Record rec = CocoJson.readRecord(p, json, where);
                if (boxFlavour == null) {
                    boxFlavour = rec.bbox != null && rec.bbox.length > 0;
                    if (!boxFlavour && rec.segmentation == null) {
                        throw InputFormatException.at(json, where, "bbox", "a result needs 'bbox' or 'segmentation'");
                    }
                }
                add(table, gt, rec, r, where, boxFlavour, iouType);
            }
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw CocoJson.syntaxError(json, record < 0 ? null : CocoJson.where("results", record), e);
        }
        return table;
    }

    private static void add(Annotations t, CocoGroundTruth gt, CocoJson.Record rec, int r, String where,
            boolean boxFlavour, IouType iouType) {
        Object file = t.file;
        if (rec.imageId == null) throw InputFormatException.at(file, where, "image_id", "missing");
        Integer img = gt.imageIndexById.get(rec.imageId);
        if (img == null) {
            throw InputFormatException.at(file, where, "image_id",
                    "image " + rec.imageId + " is not in the ground truth (" + gt.file() + ")");
        }
        if (rec.categoryId == null) throw InputFormatException.at(file, where, "category_id", "missing");
        if (rec.score == null) throw InputFormatException.at(file, where, "score", "missing");
        if (rec.bbox != null && rec.bbox.length != 4 && !(rec.bbox.length == 0 && !boxFlavour)) {
            throw InputFormatException.at(file, where, "bbox", "expected [x, y, w, h], got " + rec.bbox.length + " numbers");
        }
        int i = t.add();
        t.recordIndex[i] = r;
        t.id[i] = r + 1L;
        t.imageIndex[i] = img;
        int k = rec.categoryId == (int) (long) rec.categoryId
                ? Arrays.binarySearch(gt.sortedCategoryIds, (int) (long) rec.categoryId) : -1;
        if (k < 0) {
            // pycocotools silently never evaluates such a record; a wrong class mapping must not pass unnoticed
            if (gt.sortedCategoryIds.length == 0) {
                throw InputFormatException.at(gt.file(), null, "categories", "the ground truth has no categories "
                        + "(missing or empty list), so no result can be evaluated (" + file + " names category "
                        + rec.categoryId + ")");
            }
            throw InputFormatException.at(file, where, "category_id",
                    "category " + rec.categoryId + " is not in the ground truth's categories (" + gt.file() + ")");
        }
        t.categoryIndex[i] = k;
        t.score[i] = rec.score;
        CocoGroundTruth.Image image = gt.sortedImages[img];
        if (boxFlavour) {
            if (rec.bbox == null || rec.bbox.length != 4) {
                throw InputFormatException.at(file, where, "bbox", "missing (the first result has a bbox, so all need one)");
            }
            System.arraycopy(rec.bbox, 0, t.bbox, 4 * i, 4);
            t.hasBbox[i] = true;
            t.area[i] = rec.bbox[2] * rec.bbox[3];
            if (iouType == IouType.BBOX) {
                // not needed: do not hold half a million mask strings
            } else if (rec.segmentation != null) {
                t.segmentation[i] = rec.segmentation;
            } else if (iouType == IouType.SEGM) {
                double x1 = rec.bbox[0], x2 = rec.bbox[0] + rec.bbox[2], y1 = rec.bbox[1], y2 = rec.bbox[1] + rec.bbox[3];
                t.segmentation[i] = new CocoJson.Polygons(java.util.List.of(new double[] {x1, y1, x1, y2, x2, y2, x2, y1}));
            }
        } else {
            if (rec.segmentation == null) {
                throw InputFormatException.at(file, where, "segmentation",
                        "missing (the first result has no bbox, so all need a segmentation)");
            }
            t.segmentation[i] = rec.segmentation;
            CocoRle rle = t.toRle(i, image.height(), image.width());
            t.area[i] = rle.area();
            if (rec.bbox != null && rec.bbox.length == 4) {
                System.arraycopy(rec.bbox, 0, t.bbox, 4 * i, 4);
            } else {
                System.arraycopy(rle.toBbox(), 0, t.bbox, 4 * i, 4);
            }
            t.hasBbox[i] = true;
        }
    }
}
