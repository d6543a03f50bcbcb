package dev.maskrt.selfcheck;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.maskrt.output.CompactMask;
import dev.maskrt.output.Instance;
import java.util.List;
import org.junit.jupiter.api.Test;

class DetectionParityTest {
    private static final int H = 20;
    private static final int W = 30;

    /** A rectangular mask covering columns [x0, x1) and rows [y0, y1). */
    private static CompactMask rect(int x0, int y0, int x1, int y1) {
        byte[] bits = new byte[(x1 - x0) * (y1 - y0)];
        java.util.Arrays.fill(bits, (byte) 1);
        return new CompactMask(H, W, x0, y0, x1 - x0, y1 - y0, bits);
    }

    private static Instance inst(int cls, float score, float x0, float y0, float x1, float y1, CompactMask m) {
        return new Instance(cls, "c" + cls, score, x0, y0, x1, y1, m);
    }

    @Test
    void identicalDetectionsMatch() {
        List<Instance> a = List.of(inst(0, 0.9f, 1, 1, 11, 11, rect(1, 1, 11, 11)), inst(2, 0.5f, 12, 2, 28, 18, rect(12, 2, 28, 18)));
        ParityReport r = DetectionParity.compare(a, a, ParityCriteria.FP32);
        assertTrue(r.passes());
        assertEquals(2, r.matched());
        assertEquals(1.0, r.worstBoxIou());
        assertEquals(0.0, r.worstScoreDiff());
        assertEquals(1.0, r.worstMaskIou());
        assertTrue(DetectionParity.compare(List.of(), List.of(), ParityCriteria.FP32).passes(), "empty vs empty");
    }

    @Test
    void handWorkedDeltas() {
        // boxes 10x10 vs 10x10 shifted by 0.05 in x: IoU = 9.95*10 / (200 - 99.5) = 0.99005 (passes 0.99)
        // masks 10x10 vs 10x9 rows: IoU = 90/100 = 0.9 (fails 0.98); score diff 0.0005 (passes)
        Instance ref = inst(1, 0.8f, 0, 0, 10, 10, rect(0, 0, 10, 10));
        Instance cand = inst(1, 0.8005f, 0.05f, 0, 10.05f, 10, rect(0, 0, 10, 9));
        ParityReport r = DetectionParity.compare(List.of(ref), List.of(cand), ParityCriteria.FP32);
        assertEquals(1, r.matched());
        assertEquals(99.5 / 100.5, r.worstBoxIou(), 1e-6);
        assertEquals(5e-4, r.worstScoreDiff(), 1e-6);
        assertEquals(0.9, r.worstMaskIou(), 1e-12);
        assertFalse(r.passes(), "mask IoU 0.9 < 0.98");
        assertTrue(DetectionParity.compare(List.of(ref), List.of(cand), new ParityCriteria(0.99, 1e-3, 0.9)).passes());
        // score difference 0.002 > 1e-3
        Instance late = inst(1, 0.802f, 0, 0, 10, 10, rect(0, 0, 10, 10));
        assertFalse(DetectionParity.compare(List.of(ref), List.of(late), ParityCriteria.FP32).passes());
    }

    @Test
    void classMismatchesAndUnmatchedDetectionsFail() {
        Instance a = inst(0, 0.9f, 0, 0, 10, 10, rect(0, 0, 10, 10));
        Instance b = inst(1, 0.9f, 0, 0, 10, 10, rect(0, 0, 10, 10));
        ParityReport cls = DetectionParity.compare(List.of(a), List.of(b), ParityCriteria.FP32);
        assertEquals(1, cls.classMismatches());
        assertFalse(cls.passes());
        Instance far = inst(0, 0.9f, 15, 5, 25, 15, rect(15, 5, 25, 15));
        ParityReport extra = DetectionParity.compare(List.of(a), List.of(a, far), ParityCriteria.FP32);
        assertEquals(1, extra.matched());
        assertEquals(2, extra.candidateCount());
        assertFalse(extra.passes(), "an extra candidate detection");
        ParityReport missing = DetectionParity.compare(List.of(a, far), List.of(far), ParityCriteria.FP32);
        assertEquals(1, missing.matched());
        assertFalse(missing.passes(), "a missing detection");
        // one to one: two references on the same box cannot share one candidate
        ParityReport twice = DetectionParity.compare(List.of(a, a), List.of(a), ParityCriteria.FP32);
        assertEquals(1, twice.matched());
        assertFalse(twice.passes());
    }

    @Test
    void reportsAddUpAndSummarise() {
        ParityReport x = new ParityReport(3, 3, 3, 0, 0.995, 1e-4, 0.99, true);
        ParityReport y = new ParityReport(2, 1, 1, 1, 0.999, 5e-4, 0.985, false);
        ParityReport s = ParityReport.empty().plus(x).plus(y);
        assertEquals(new ParityReport(5, 4, 4, 1, 0.995, 5e-4, 0.985, false), s);
        assertEquals("4/5 matched (candidate has 4), 1 class mismatches, box IoU >= 0.9950, |score diff| <= 5.00e-04, "
                + "mask IoU >= 0.9850", s.summary());
    }

    @Test
    void argumentsAreChecked() {
        assertThrows(IllegalArgumentException.class, () -> DetectionParity.compare(null, List.of(), ParityCriteria.FP32));
        assertThrows(IllegalArgumentException.class, () -> new ParityCriteria(0, 1e-3, 0.98));
        assertThrows(IllegalArgumentException.class, () -> new ParityCriteria(0.99, -1, 0.98));
        Instance a = inst(0, 0.9f, 0, 0, 10, 10, rect(0, 0, 10, 10));
        Instance other = new Instance(0, "c0", 0.9f, 0, 0, 10, 10, CompactMask.empty(21, 30));
        assertThrows(IllegalArgumentException.class, () -> DetectionParity.compare(List.of(a), List.of(other), ParityCriteria.FP32));
    }
}
