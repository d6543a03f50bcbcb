package dev.maskrt.selfcheck;

import java.util.Locale;

/**
 * How one set of detections compares with a reference set (see {@link DetectionParity}). The deltas cover matched
 * pairs only; with no pair they are {@code 1}, {@code 0}, {@code 1}. Immutable.
 *
 * @param referenceCount    detections in the reference
 * @param candidateCount    detections in the candidate
 * @param matched           pairs matched one to one (box IoU {@code >= minBoxIou})
 * @param classMismatches   matched pairs whose classes differ
 * @param worstBoxIou       the lowest box IoU of a matched pair
 * @param worstScoreDiff    the largest {@code |score difference|} of a matched pair
 * @param worstMaskIou      the lowest mask IoU of a matched pair
 * @param passes            whether everything matched within the criteria
 */
public record ParityReport(int referenceCount, int candidateCount, int matched, int classMismatches,
        double worstBoxIou, double worstScoreDiff, double worstMaskIou, boolean passes) {

    /** Adds up two reports (e.g. over the images of a run): counts summed, worst deltas kept. */
    public ParityReport plus(ParityReport o) {
        return new ParityReport(referenceCount + o.referenceCount, candidateCount + o.candidateCount,
                matched + o.matched, classMismatches + o.classMismatches, Math.min(worstBoxIou, o.worstBoxIou),
                Math.max(worstScoreDiff, o.worstScoreDiff), Math.min(worstMaskIou, o.worstMaskIou), passes && o.passes);
    }

    /** The report of nothing against nothing. */
    public static ParityReport empty() {
        return new ParityReport(0, 0, 0, 0, 1, 0, 1, true);
    }

    /** One line, e.g. {@code 12/12 matched, 0 class mismatches, box IoU >= 0.9987, |score diff| <= 2.1e-05, mask IoU >= 0.9931}. */
    public String summary() {
        return String.format(Locale.ROOT, "%d/%d matched (candidate has %d), %d class mismatches, box IoU >= %.4f, "
                + "|score diff| <= %.2e, mask IoU >= %.4f", matched, referenceCount, candidateCount, classMismatches,
                worstBoxIou, worstScoreDiff, worstMaskIou);
    }
}
