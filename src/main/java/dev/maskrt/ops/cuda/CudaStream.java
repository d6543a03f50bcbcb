package dev.maskrt.ops.cuda;

import dev.maskrt.error.CudaException;

/**
 * A CUDA stream (non-blocking with respect to the legacy default stream). Work enqueued on one stream runs in
 * order; {@link #synchronize()} waits for it. {@link #close()} destroys the stream and may be called more than
 * once.
 *
 * <p>Not thread-safe: one stream belongs to one thread of work at a time.
 */
public final class CudaStream implements AutoCloseable {
    private long handle;

    /** @throws CudaException when CUDA is unavailable or the stream cannot be created */
    public CudaStream() {
        CudaRuntime.requireAvailable();
        long[] h = new long[1];
        CudaRuntime.check(CudaNative.maskrt_stream_create(h), "cudaStreamCreate");
        handle = h[0];
    }

    /** The {@code cudaStream_t} handle for device-pointer entry points. */
    public long handle() {
        if (handle == 0) throw new IllegalStateException("stream is closed");
        return handle;
    }

    /** Blocks until all work enqueued on this stream has finished; reports errors of that work. */
    public void synchronize() {
        CudaRuntime.check(CudaNative.maskrt_stream_synchronize(handle()), "cudaStreamSynchronize");
    }

    @Override
    public void close() {
        if (handle != 0) {
            long h = handle;
            handle = 0;
            CudaRuntime.check(CudaNative.maskrt_stream_destroy(h), "cudaStreamDestroy");
        }
    }
}
