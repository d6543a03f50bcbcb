package dev.maskrt.eval;

import dev.maskrt.output.CompactMask;
import dev.maskrt.output.KaggleRle;
import dev.maskrt.output.PixelOrder;

/**
 * A mask as sorted, disjoint runs of 0-indexed pixel numbers in one {@link PixelOrder}, with the bounding range of
 * its lines (rows or columns) and of positions within a line, for overlap tests without a full image. Immutable.
 */
final class RunMask {
    final int[] starts;   // first pixel of each run, 0-indexed
    final int[] ends;     // one past the last pixel
    final long area;
    final int firstLine, lastLine, firstPos, lastPos;

    /** From validated 1-indexed {@code [start, length, ...]} pairs (as {@link KaggleRle#parse} returns them). */
    RunMask(int[] runs, int lineLength) {
        int n = runs.length / 2;
        starts = new int[n];
        ends = new int[n];
        long a = 0;
        int fl = Integer.MAX_VALUE, ll = -1, fp = Integer.MAX_VALUE, lp = -1;
        for (int i = 0; i < n; i++) {
            int s = runs[2 * i] - 1, e = s + runs[2 * i + 1];
            starts[i] = s;
            ends[i] = e;
            a += e - s;
            int sl = s / lineLength, el = (e - 1) / lineLength;
            fl = Math.min(fl, sl);
            ll = Math.max(ll, el);
            if (sl == el) {
                fp = Math.min(fp, s % lineLength);
                lp = Math.max(lp, (e - 1) % lineLength);
            } else {
                fp = 0;
                lp = lineLength - 1;
            }
        }
        area = a;
        firstLine = fl;
        lastLine = ll;
        firstPos = fp;
        lastPos = lp;
    }

    static RunMask of(CompactMask mask, PixelOrder order) {
        return new RunMask(KaggleRle.runs(mask, order), order.lineLength(mask.imageHeight(), mask.imageWidth()));
    }

    /** Whether the bounding ranges of two non-empty masks meet (a necessary condition for any common pixel). */
    boolean boundsMeet(RunMask o) {
        return area > 0 && o.area > 0 && firstLine <= o.lastLine && o.firstLine <= lastLine
                && firstPos <= o.lastPos && o.firstPos <= lastPos;
    }

    /** Pixels in both masks, by a merge of the two sorted run lists. */
    long intersection(RunMask o) {
        long inter = 0;
        int i = 0, j = 0;
        while (i < starts.length && j < o.starts.length) {
            int lo = Math.max(starts[i], o.starts[j]);
            int hi = Math.min(ends[i], o.ends[j]);
            if (hi > lo) inter += hi - lo;
            if (ends[i] < o.ends[j]) i++; else j++;
        }
        return inter;
    }
}
