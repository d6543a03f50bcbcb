package dev.maskrt.eval;

import dev.maskrt.util.Workers;
import dev.maskrt.output.CocoRle;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * pycocotools {@code COCOeval} for {@code bbox} and {@code segm}: {@code evaluate()}, {@code accumulate()},
 * {@code summarize()} with default parameters except {@code maxDets}, in double precision like numpy.
 *
 * <p><b>Summary layout.</b> pycocotools' {@code summarize()} hard-codes {@code maxDets=100} for the first AP and
 * {@code maxDets[0..2]} for the rest, so it only works for three values. Here AP, AP50, AP75, APs/m/l and ARs/m/l use
 * the <b>largest</b> maxDets value, and the three AR-by-maxDets slots (named AR1, AR10, AR100) use the first, second
 * and largest values. For the default {@code [1, 10, 100]} this is exactly pycocotools' table; for e.g.
 * {@code [100, 300, 1000]} the table lines show the real values ({@code maxDets=1000}).
 *
 * <p>Per image and category the work is independent and runs on the given {@link Workers}; every result has one
 * writer, so the numbers do not depend on the thread count. An instance is used once, by one thread.
 */
final class CocoEvaluator {
    private static final byte FP = 0, TP = 1, IGNORED = 2;
    private static final double EPS = Math.ulp(1.0); // np.spacing(1)

    private final CocoGroundTruth gt;
    private final Annotations dt;
    private final IouType iouType;
    private final int[] maxDets;
    private final double[] iouThrs = CocoParams.IOU_THRESHOLDS;
    private final double[] recThrs = CocoParams.RECALL_THRESHOLDS;
    private final double[][] areaRng = CocoParams.AREA_RANGES;
    private final int numCats;

    /** One (image, category) with any ground truth or detection: pycocotools' non-None evalImgs entries. */
    private static final class Group {
        int image, category;
        int[] gts, dts; // annotation indices in file order
        double[] scores; // detections sorted by score (stable), truncated to the largest maxDets
        byte[][] state; // [area][t * D + d]: TP, FP or IGNORED
        int[] relevantGts; // [area]: ground truths not ignored (npig)
    }

    private Group[] groups;
    double[] precision; // [T][R][K][A][M]
    double[] recall;    // [T][K][A][M]

    CocoEvaluator(CocoGroundTruth gt, Annotations dt, IouType iouType, int[] maxDets) {
        this.gt = gt;
        this.dt = dt;
        this.iouType = iouType;
        this.maxDets = CocoParams.maxDets(maxDets);
        this.numCats = gt.sortedCategoryIds.length;
    }

    CocoSummary run(Workers workers) {
        buildGroups();
        workers.parallelFor(groups.length, 16, (from, to) -> {
            for (int i = from; i < to; i++) evaluateGroup(groups[i]);
        });
        accumulate(workers);
        return summarize();
    }

    // ---------------------------------------------------------------- grouping (COCOeval._prepare)

    private void buildGroups() {
        long[] g = sortedKeys(gt.annotations);
        long[] d = sortedKeys(dt);
        List<Group> out = new ArrayList<>();
        int i = 0, j = 0;
        while (i < g.length || j < d.length) {
            long key = Math.min(i < g.length ? g[i] >>> 31 : Long.MAX_VALUE, j < d.length ? d[j] >>> 31 : Long.MAX_VALUE);
            int i0 = i, j0 = j;
            while (i < g.length && g[i] >>> 31 == key) i++;
            while (j < d.length && d[j] >>> 31 == key) j++;
            Group grp = new Group();
            grp.image = (int) (key / numCats);
            grp.category = (int) (key % numCats);
            grp.gts = lowBits(g, i0, i);
            grp.dts = lowBits(d, j0, j);
            out.add(grp);
        }
        groups = out.toArray(new Group[0]);
    }

    /** (image, category, position) keys of the annotations whose category is evaluated, sorted. */
    private long[] sortedKeys(Annotations a) {
        long[] keys = new long[a.size];
        int n = 0;
        for (int i = 0; i < a.size; i++) {
            if (a.categoryIndex[i] < 0) continue;
            long group = (long) a.imageIndex[i] * numCats + a.categoryIndex[i];
            keys[n++] = (group << 31) | i;
        }
        keys = Arrays.copyOf(keys, n);
        Arrays.sort(keys);
        return keys;
    }

    private static int[] lowBits(long[] keys, int from, int to) {
        int[] out = new int[to - from];
        for (int i = from; i < to; i++) out[i - from] = (int) (keys[i] & 0x7fffffffL);
        return out;
    }

    // ---------------------------------------------------------------- COCOeval.computeIoU + evaluateImg

    private void evaluateGroup(Group grp) {
        int maxDet = maxDets[maxDets.length - 1];
        // detections by descending score, stable (np.argsort(-score, kind='mergesort')), truncated to maxDet
        int[] order = StableSort.byDescendingScore(grp.dts, dt.score);
        int nd = Math.min(order.length, maxDet);
        int[] dts = Arrays.copyOf(order, nd);
        int[] gts = grp.gts;
        int ng = gts.length;
        grp.scores = new double[nd];
        for (int d = 0; d < nd; d++) grp.scores[d] = dt.score[dts[d]];
        boolean[] crowd = new boolean[ng];
        for (int g = 0; g < ng; g++) crowd[g] = gt.annotations.crowd[gts[g]];
        double[][] ious = nd == 0 || ng == 0 ? null : computeIou(grp, dts, gts, crowd);

        int numThr = iouThrs.length, numAreas = areaRng.length;
        grp.state = new byte[numAreas][];
        grp.relevantGts = new int[numAreas];
        int[] gtOrder = new int[ng];
        boolean[] gtIgnored = new boolean[ng];
        boolean[] gtMatched = new boolean[ng];
        for (int a = 0; a < numAreas; a++) {
            double lo = areaRng[a][0], hi = areaRng[a][1];
            // ground truths not ignored first, then ignored ones, each in file order (a stable sort on _ignore)
            int n = 0, relevant = 0;
            for (int pass = 0; pass < 2; pass++) {
                for (int g = 0; g < ng; g++) {
                    double area = gt.annotations.area[gts[g]];
                    boolean ignore = crowd[g] || area < lo || area > hi;
                    if (ignore == (pass == 1)) {
                        gtOrder[n] = g;
                        gtIgnored[n] = ignore;
                        n++;
                        if (!ignore) relevant++;
                    }
                }
            }
            grp.relevantGts[a] = relevant;
            byte[] state = new byte[numThr * nd];
            for (int t = 0; t < numThr; t++) {
                Arrays.fill(gtMatched, false);
                for (int d = 0; d < nd; d++) {
                    int m = -1;
                    if (ious != null) {
                        double best = Math.min(iouThrs[t], 1 - 1e-10);
                        double[] row = ious[d];
                        for (int s = 0; s < ng; s++) {
                            int g = gtOrder[s];
                            if (gtMatched[s] && !crowd[g]) continue; // already matched, and not a crowd
                            if (m > -1 && !gtIgnored[m] && gtIgnored[s]) break; // matched a real gt; only ignored left
                            if (row[g] < best) continue;
                            best = row[g];
                            m = s;
                        }
                    }
                    double dtArea = dt.area[dts[d]];
                    boolean outside = dtArea < lo || dtArea > hi;
                    byte st;
                    if (m == -1) {
                        st = outside ? IGNORED : FP;
                    } else {
                        gtMatched[m] = true;
                        // pycocotools stores the gt id as the match, so a gt with id 0 counts as no match
                        boolean matchedId = gt.annotations.id[gts[gtOrder[m]]] != 0;
                        if (gtIgnored[m] || (!matchedId && outside)) st = IGNORED;
                        else st = matchedId ? TP : FP;
                    }
                    state[t * nd + d] = st;
                }
            }
            grp.state[a] = state;
        }
    }

    private double[][] computeIou(Group grp, int[] dts, int[] gts, boolean[] crowd) {
        if (iouType == IouType.BBOX) {
            double[] db = new double[4 * dts.length], gb = new double[4 * gts.length];
            for (int d = 0; d < dts.length; d++) System.arraycopy(boxOf(dt, dts[d]), 0, db, 4 * d, 4);
            for (int g = 0; g < gts.length; g++) System.arraycopy(boxOf(gt.annotations, gts[g]), 0, gb, 4 * g, 4);
            return CocoRle.bboxIou(db, dts.length, gb, gts.length, crowd);
        }
        CocoGroundTruth.Image image = gt.sortedImages[grp.image];
        List<CocoRle> d = new ArrayList<>(dts.length), g = new ArrayList<>(gts.length);
        for (int i : dts) d.add(dt.toRle(i, image.height(), image.width()));
        for (int i : gts) g.add(gt.annotations.toRle(i, image.height(), image.width()));
        return CocoRle.iou(d, g, crowd);
    }

    private static double[] boxOf(Annotations a, int i) {
        if (!a.hasBbox[i]) {
            throw dev.maskrt.error.InputFormatException.at(a.file, a.where(i), "bbox", "missing (needed for bbox evaluation)");
        }
        return Arrays.copyOfRange(a.bbox, 4 * i, 4 * i + 4);
    }

    // ---------------------------------------------------------------- COCOeval.accumulate

    private void accumulate(Workers workers) {
        int numThr = iouThrs.length, numRec = recThrs.length, numAreas = areaRng.length, numM = maxDets.length;
        precision = new double[numThr * numRec * numCats * numAreas * numM];
        recall = new double[numThr * numCats * numAreas * numM];
        Arrays.fill(precision, -1);
        Arrays.fill(recall, -1);
        // groups of each category in image order (groups are sorted by image, then category)
        List<List<Group>> byCat = new ArrayList<>();
        for (int k = 0; k < numCats; k++) byCat.add(new ArrayList<>());
        for (Group g : groups) byCat.get(g.category).add(g);
        workers.parallelFor(numCats, 1, (from, to) -> {
            for (int k = from; k < to; k++) accumulateCategory(k, byCat.get(k));
        });
    }

    private void accumulateCategory(int k, List<Group> es) {
        if (es.isEmpty()) return;
        int numThr = iouThrs.length, numRec = recThrs.length, numAreas = areaRng.length, numM = maxDets.length;
        for (int m = 0; m < numM; m++) {
            int maxDet = maxDets[m];
            int total = 0;
            for (Group g : es) total += Math.min(g.scores.length, maxDet);
            // concatenation of every image's first maxDet detections, then a stable sort by descending score
            double[] scores = new double[total];
            int[] owner = new int[total], pos = new int[total];
            int n = 0;
            for (int e = 0; e < es.size(); e++) {
                Group g = es.get(e);
                int c = Math.min(g.scores.length, maxDet);
                for (int d = 0; d < c; d++) {
                    scores[n] = g.scores[d];
                    owner[n] = e;
                    pos[n] = d;
                    n++;
                }
            }
            int[] order = StableSort.byDescendingScore(identity(total), scores);
            double[] rc = new double[total], pr = new double[total];
            for (int a = 0; a < numAreas; a++) {
                long npig = 0;
                for (Group g : es) npig += g.relevantGts[a];
                if (npig == 0) continue;
                for (int t = 0; t < numThr; t++) {
                    double tp = 0, fp = 0;
                    for (int i = 0; i < total; i++) {
                        int j = order[i];
                        Group g = es.get(owner[j]);
                        byte st = g.state[a][t * g.scores.length + pos[j]];
                        if (st == TP) tp++;
                        else if (st == FP) fp++;
                        rc[i] = tp / npig;
                        pr[i] = tp / (fp + tp + EPS);
                    }
                    recall[((t * numCats + k) * numAreas + a) * numM + m] = total > 0 ? rc[total - 1] : 0;
                    for (int i = total - 1; i > 0; i--) {
                        if (pr[i] > pr[i - 1]) pr[i - 1] = pr[i];
                    }
                    int i = 0; // np.searchsorted(rc, recThrs, side='left'), both ascending
                    for (int r = 0; r < numRec; r++) {
                        while (i < total && rc[i] < recThrs[r]) i++;
                        precision[(((t * numRec + r) * numCats + k) * numAreas + a) * numM + m] = i < total ? pr[i] : 0;
                    }
                }
            }
        }
    }

    private static int[] identity(int n) {
        int[] a = new int[n];
        for (int i = 0; i < n; i++) a[i] = i;
        return a;
    }

    // ---------------------------------------------------------------- COCOeval.summarize

    private CocoSummary summarize() {
        int last = maxDets[maxDets.length - 1];
        int second = maxDets[Math.min(1, maxDets.length - 1)];
        double[] stats = new double[12];
        StringBuilder table = new StringBuilder();
        stats[0] = line(table, true, null, "all", last);
        stats[1] = line(table, true, 0.5, "all", last);
        stats[2] = line(table, true, 0.75, "all", last);
        stats[3] = line(table, true, null, "small", last);
        stats[4] = line(table, true, null, "medium", last);
        stats[5] = line(table, true, null, "large", last);
        stats[6] = line(table, false, null, "all", maxDets[0]);
        stats[7] = line(table, false, null, "all", second);
        stats[8] = line(table, false, null, "all", last);
        stats[9] = line(table, false, null, "small", last);
        stats[10] = line(table, false, null, "medium", last);
        stats[11] = line(table, false, null, "large", last);
        String[] names = {"AP", "AP50", "AP75", "APs", "APm", "APl", "AR1", "AR10", "AR100", "ARs", "ARm", "ARl"};
        Map<String, Double> named = new LinkedHashMap<>();
        for (int i = 0; i < 12; i++) named.put(names[i], stats[i]);
        Map<Integer, Double> perCat = new LinkedHashMap<>();
        int numThr = iouThrs.length, numRec = recThrs.length, numAreas = areaRng.length, numM = maxDets.length;
        for (int k = 0; k < numCats; k++) {
            double[] vals = new double[numThr * numRec];
            int n = 0;
            for (int t = 0; t < numThr; t++) {
                for (int r = 0; r < numRec; r++) {
                    double v = precision[(((t * numRec + r) * numCats + k) * numAreas) * numM + numM - 1];
                    if (v > -1) vals[n++] = v;
                }
            }
            perCat.put(gt.sortedCategoryIds[k], n == 0 ? -1 : NumpySum.pairwise(vals, n) / n);
        }
        table.setLength(table.length() - 1);
        return new CocoSummary(stats, table.toString(), named, perCat);
    }

    /** One pycocotools {@code _summarize} call: appends its line and returns the mean (or -1). */
    private double line(StringBuilder table, boolean ap, Double iouThr, String areaLabel, int maxDet) {
        int numThr = iouThrs.length, numRec = recThrs.length, numAreas = areaRng.length, numM = maxDets.length;
        int a = Arrays.asList(CocoParams.AREA_LABELS).indexOf(areaLabel);
        List<Integer> ts = new ArrayList<>();
        for (int t = 0; t < numThr; t++) if (iouThr == null || iouThrs[t] == iouThr) ts.add(t);
        List<Integer> ms = new ArrayList<>();
        for (int m = 0; m < numM; m++) if (maxDets[m] == maxDet) ms.add(m);
        double[] vals = new double[ts.size() * numRec * numCats * ms.size()];
        int n = 0;
        for (int t : ts) { // C order of s[t][r][k][m] (recall: s[t][k][m])
            for (int r = 0; r < (ap ? numRec : 1); r++) {
                for (int k = 0; k < numCats; k++) {
                    for (int m : ms) {
                        double v = ap ? precision[(((t * numRec + r) * numCats + k) * numAreas + a) * numM + m]
                                : recall[((t * numCats + k) * numAreas + a) * numM + m];
                        if (v > -1) vals[n++] = v;
                    }
                }
            }
        }
        double mean = n == 0 ? -1 : NumpySum.pairwise(vals, n) / n;
        String title = ap ? "Average Precision" : "Average Recall";
        String type = ap ? "(AP)" : "(AR)";
        String iouStr = iouThr == null ? fmt2(iouThrs[0]) + ":" + fmt2(iouThrs[numThr - 1]) : fmt2(iouThr);
        table.append(String.format(" %-18s %s @[ IoU=%-9s | area=%6s | maxDets=%3d ] = %s%n", title, type, iouStr,
                areaLabel, maxDet, fixed(mean, 3)).replace(System.lineSeparator(), "\n"));
        return mean;
    }

    private static String fmt2(double v) {
        return fixed(v, 2);
    }

    /** Python's {@code '{:0.Nf}'.format(v)}: the exact binary value rounded half-even. */
    static String fixed(double v, int digits) {
        return new BigDecimal(v).setScale(digits, RoundingMode.HALF_EVEN).toPlainString();
    }
}
