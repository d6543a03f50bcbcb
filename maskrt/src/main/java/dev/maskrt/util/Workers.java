package dev.maskrt.util;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.RecursiveAction;

/**
 * The threads a CPU op may use. Work is split into fixed index ranges that do not depend on the thread count,
 * and every output element is written by exactly one task, so results are identical for any thread count.
 *
 * <p>Thread-safe: one instance may be shared by many ops and callers. {@link #close()} shuts the private pool.
 */
public final class Workers implements AutoCloseable {
    private final int threads;
    private final ForkJoinPool pool;

    /** @param threads worker threads, {@code >= 1}; 1 runs everything on the calling thread */
    public Workers(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        }
        this.threads = threads;
        this.pool = threads == 1 ? null : new ForkJoinPool(threads);
    }

    /** One worker per available processor. */
    /** {@code threads} workers, or {@link #allCores()} for 0. */
    public static Workers of(int threads) {
        return threads == 0 ? allCores() : new Workers(threads);
    }

    public static Workers allCores() {
        return new Workers(Runtime.getRuntime().availableProcessors());
    }

    public int threads() {
        return threads;
    }

    /** A body over the index range {@code [from, to)}. */
    @FunctionalInterface
    public interface RangeBody {
        void run(int from, int to);
    }

    /**
     * Runs {@code body} over {@code [0, n)} split into chunks of at most {@code grain} indices, in parallel when
     * this has more than one thread. Returns when all chunks are done; an exception in a chunk is rethrown.
     */
    public void parallelFor(int n, int grain, RangeBody body) {
        if (n <= 0) {
            return;
        }
        int g = Math.max(1, grain);
        if (pool == null || n <= g) {
            body.run(0, n);
            return;
        }
        pool.invoke(new Chunk(0, n, g, body));
    }

    @Override
    public void close() {
        if (pool != null) {
            pool.shutdown();
        }
    }

    private static final class Chunk extends RecursiveAction {
        private static final long serialVersionUID = 1L;
        private final int from, to, grain;
        private final transient RangeBody body;

        Chunk(int from, int to, int grain, RangeBody body) {
            this.from = from;
            this.to = to;
            this.grain = grain;
            this.body = body;
        }

        @Override
        protected void compute() {
            if (to - from <= grain) {
                body.run(from, to);
                return;
            }
            int mid = from + (to - from) / 2;
            invokeAll(new Chunk(from, mid, grain, body), new Chunk(mid, to, grain, body));
        }
    }
}
