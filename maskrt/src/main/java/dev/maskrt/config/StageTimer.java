package dev.maskrt.config;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Accumulates wall-clock time per pipeline stage (e.g. "backbone", "box stage 0", "paste"), in first-seen order.
 * Thread-safe. {@link #NONE} ignores everything.
 */
public class StageTimer {
    /** A timer that records nothing. */
    public static final StageTimer NONE = new StageTimer() {
        @Override
        public void add(String stage, long nanos) {}
    };

    private final Map<String, Long> nanos = new LinkedHashMap<>();

    /** An empty timer. */
    public StageTimer() {}

    /**
     * Adds wall-clock time to a stage.
     *
     * @param stage the stage's name, e.g. {@code "backbone"}
     * @param nanos nanoseconds to add
     */
    public synchronized void add(String stage, long nanos) {
        this.nanos.merge(stage, nanos, Long::sum);
    }

    /** @return milliseconds per stage so far, in first-seen order (a copy) */
    public synchronized Map<String, Double> millis() {
        Map<String, Double> out = new LinkedHashMap<>();
        nanos.forEach((k, v) -> out.put(k, v / 1e6));
        return out;
    }

    /** Forgets every stage. */
    public synchronized void reset() {
        nanos.clear();
    }
}
