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
    private final int deviceId;
    private long handle;

    /**
     * A new stream on device {@code deviceId} (made current on the calling thread first).
     *
     * @throws IllegalArgumentException when {@code deviceId} is not a visible device
     * @throws CudaException            when CUDA is unavailable or the stream cannot be created
     */
    public CudaStream(int deviceId) {
        CudaRuntime.requireDevice(deviceId);
        this.deviceId = deviceId;
        CudaRuntime.useDevice(deviceId);
        long[] h = new long[1];
        CudaRuntime.check(CudaNative.maskrt_stream_create(h), "cudaStreamCreate");
        handle = h[0];
    }

    /** The device this stream's work runs on. */
    public int deviceId() {
        return deviceId;
    }

    /**
     * The {@code cudaStream_t} handle, for binding to a native API (TensorRT's {@code enqueueV3}).
     *
     * @throws IllegalStateException when the stream is closed
     */
    public long handle() {
        if (handle == 0) throw new IllegalStateException("stream is closed");
        return handle;
    }

    /**
     * Blocks until all work enqueued on this stream has finished; reports errors of that work.
     *
     * @throws IllegalStateException when the stream is closed
     * @throws CudaException         when that work failed
     */
    public void synchronize() {
        CudaRuntime.useDevice(deviceId);
        CudaRuntime.check(CudaNative.maskrt_stream_synchronize(handle()), "cudaStreamSynchronize");
    }

    /**
     * Destroys the stream; idempotent.
     *
     * @throws CudaException when CUDA refuses to destroy it
     */
    @Override
    public void close() {
        if (handle != 0) {
            long h = handle;
            handle = 0;
            CudaRuntime.useDevice(deviceId);
            CudaRuntime.check(CudaNative.maskrt_stream_destroy(h), "cudaStreamDestroy");
        }
    }
}
