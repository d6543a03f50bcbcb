package dev.maskrt.engine;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;

/**
 * A float32 tensor in a direct, native-order buffer leased from the engines' staging pool
 * ({@code StagingBuffers}): for an engine input that the caller computes in place (the pooled RoI features), so
 * that the run needs neither a fresh heap array nor a staging copy. {@link #close()} returns the buffer for later
 * runs; no view of it may be used after that.
 *
 * <p>The values are not zeroed: whoever fills the tensor writes every value. Not thread-safe: one owner writes it,
 * then runs engines on it (which read their inputs only during a run, {@link Engine#run}), then closes it.
 */
public final class LeasedTensor implements AutoCloseable {
    private final ByteBuffer bytes;
    private final long[] shape;
    private final int size;
    private boolean closed;

    private LeasedTensor(ByteBuffer bytes, long[] shape, int size) {
        this.bytes = bytes;
        this.shape = shape;
        this.size = size;
    }

    /**
     * A tensor of {@code shape} (every dimension {@code >= 0}, at most {@code Integer.MAX_VALUE / 4} values) over a
     * pooled buffer; its values are whatever the buffer held.
     */
    public static LeasedTensor take(long... shape) {
        int size = HostTensor.elementCount(HostTensor.checkedShape(shape));
        return new LeasedTensor(StagingBuffers.SHARED.take((long) size * Float.BYTES), shape.clone(), size);
    }

    /** Number of values (the product of the shape). */
    public int size() {
        return size;
    }

    /** A view of the values to write or read: position 0, limit {@link #size()}. */
    public FloatBuffer values() {
        checkOpen();
        ByteBuffer view = bytes.duplicate().order(ByteOrder.nativeOrder());
        view.clear().limit(size * Float.BYTES);
        return view.asFloatBuffer();
    }

    /** The whole tensor, for an engine run (direct and native-order: engines read it without copying). */
    public HostTensor tensor() {
        return HostTensor.wrap(values(), shape);
    }

    /**
     * Rows {@code [first, first + count)} of the first dimension as a tensor of shape {@code [count, shape[1..]]},
     * sharing the values (for a caller that splits its rows over several runs).
     */
    public HostTensor rows(int first, int count) {
        if (shape.length == 0) throw new IllegalStateException("a scalar has no rows");
        if (first < 0 || count < 0 || first + (long) count > shape[0]) {
            throw new IllegalArgumentException("rows [" + first + ", " + ((long) first + count) + ") are outside [0, "
                    + shape[0] + ")");
        }
        int rowSize = shape[0] == 0 ? 0 : (int) (size / shape[0]);
        long[] rowsShape = shape.clone();
        rowsShape[0] = count;
        FloatBuffer all = values();
        return HostTensor.wrap(all.position(first * rowSize).limit((first + count) * rowSize), rowsShape);
    }

    /** Returns the buffer to the pool. Idempotent. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        StagingBuffers.SHARED.give(bytes);
    }

    private void checkOpen() {
        if (closed) throw new IllegalStateException("the leased tensor was closed");
    }
}
