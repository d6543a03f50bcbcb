package dev.maskrt.engine;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * Direct, native-order buffers that {@link OnnxRuntimeEngine} copies heap inputs into, reused from run to run.
 *
 * <p>Why: ONNX Runtime reads only direct memory, and handing it a heap buffer makes its Java API allocate a fresh
 * direct buffer per run ({@code ByteBuffer.allocateDirect}: zeroed, then copied into, then freed only when the GC
 * finds it). A cascade stage's pooled features are 50 MB (1000 RoIs × 256 × 7 × 7 floats), and first-touching that
 * much fresh memory costs several times the copy itself. A reused buffer costs only the copy.
 *
 * <p>One pool per process, shared by every engine: a pipeline's graphs run one after another, so one buffer as
 * large as the largest input serves them all; concurrent runs each take their own. At most {@link #MAX_KEPT}
 * buffers are kept (the largest); all are dropped when the last engine closes ({@link #engineOpened},
 * {@link #engineClosed}). Thread-safe.
 */
final class StagingBuffers {
    /** Buffers kept between runs: one per core is enough for as many concurrent runs. */
    static final int MAX_KEPT = Math.max(2, Runtime.getRuntime().availableProcessors());
    /** Sizes are rounded up to this, so inputs that differ by a few RoIs reuse the same buffer. */
    private static final int ROUND = 1 << 20;

    static final StagingBuffers SHARED = new StagingBuffers();

    private final List<ByteBuffer> free = new ArrayList<>(); // guarded by this
    private int engines; // guarded by this

    /** A buffer of at least {@code bytes} bytes (position 0, limit {@code bytes}); give it back when done. */
    ByteBuffer take(long bytes) {
        if (bytes > Integer.MAX_VALUE) throw new IllegalArgumentException("input of " + bytes + " bytes is too large");
        ByteBuffer best = null;
        synchronized (this) {
            int at = -1;
            for (int i = 0; i < free.size(); i++) {
                ByteBuffer b = free.get(i);
                if (b.capacity() >= bytes && (best == null || b.capacity() < best.capacity())) {
                    best = b;
                    at = i;
                }
            }
            // by index: List.remove(Object) would use ByteBuffer.equals, which compares contents, and could remove
            // another buffer with equal remaining bytes, leaving this one free for a concurrent run to take too
            if (at >= 0) free.remove(at);
        }
        if (best == null) {
            long rounded = Math.min(Integer.MAX_VALUE, (bytes + ROUND - 1) / ROUND * ROUND);
            best = ByteBuffer.allocateDirect((int) Math.max(rounded, bytes)).order(ByteOrder.nativeOrder());
        }
        best.clear().limit((int) bytes);
        return best;
    }

    /** Returns a buffer from {@link #take}; kept for later runs unless the pool is full of larger ones. */
    synchronized void give(ByteBuffer buffer) {
        if (engines == 0) return; // every engine closed meanwhile: let the GC free it
        if (free.size() < MAX_KEPT) {
            free.add(buffer);
            return;
        }
        int smallest = -1;
        for (int i = 0; i < free.size(); i++) {
            if (free.get(i).capacity() < (smallest < 0 ? buffer.capacity() : free.get(smallest).capacity())) smallest = i;
        }
        if (smallest >= 0) free.set(smallest, buffer); // by index, as in take

    }

    synchronized void engineOpened() {
        engines++;
    }

    synchronized void engineClosed() {
        if (--engines <= 0) {
            engines = 0;
            free.clear();
        }
    }

    /** Bytes held by the kept buffers (for tests). */
    synchronized long keptBytes() {
        long sum = 0;
        for (ByteBuffer b : free) sum += b.capacity();
        return sum;
    }
}
