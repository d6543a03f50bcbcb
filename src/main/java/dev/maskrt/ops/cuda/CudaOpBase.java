package dev.maskrt.ops.cuda;

/**
 * What every CUDA op shares: the memory pool and the stream its host-array calls run on. Host-array calls are
 * serialised on that stream (one at a time per op instance); device-pointer entry points take the caller's
 * stream instead.
 */
abstract class CudaOpBase implements AutoCloseable {
    final DeviceMemoryPool pool;
    private final CudaStream stream;

    /** @param pool device memory; not closed by this op */
    CudaOpBase(DeviceMemoryPool pool) {
        CudaRuntime.requireAvailable();
        if (pool == null) throw new IllegalArgumentException("pool must not be null");
        this.pool = pool;
        this.stream = new CudaStream();
    }

    /** A transfer on this op's stream; callers hold the op's lock while using it. */
    HostTransfer transfer() {
        return new HostTransfer(pool, stream);
    }

    /** Scratch of {@code bytes} from the pool, valid until it is closed. */
    DeviceBuffer scratch(long bytes) {
        return pool.acquire(bytes);
    }

    /** The handle of a caller's stream for a device entry point. */
    static long handle(CudaStream stream) {
        if (stream == null) throw new IllegalArgumentException("stream must not be null");
        return stream.handle();
    }

    static long bytesQuery(int status, long[] out, String what) {
        CudaRuntime.check(status, what);
        return out[0];
    }

    /** Destroys the op's stream; idempotent. */
    @Override
    public synchronized void close() {
        stream.close();
    }
}
