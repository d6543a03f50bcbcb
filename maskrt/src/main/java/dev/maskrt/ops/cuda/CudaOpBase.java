package dev.maskrt.ops.cuda;

/**
 * What every CUDA op shares: the memory pool, its device, and the stream its host-array calls run on. Host-array
 * calls are serialised on that stream (one at a time per op instance); device entry points take the caller's
 * stream instead, which must be on the pool's device. Every call makes the pool's device current on the calling
 * thread before it issues CUDA work ({@link CudaRuntime#useDevice}).
 */
abstract class CudaOpBase implements AutoCloseable {
    final DeviceMemoryPool pool;
    private final CudaStream stream;

    /** @param pool device memory; not closed by this op */
    CudaOpBase(DeviceMemoryPool pool) {
        CudaRuntime.requireAvailable();
        if (pool == null) throw new IllegalArgumentException("pool must not be null");
        this.pool = pool;
        this.stream = new CudaStream(pool.deviceId());
    }

    /** A transfer on this op's stream (its device made current); callers hold the op's lock while using it. */
    HostTransfer transfer() {
        CudaRuntime.useDevice(pool.deviceId());
        return new HostTransfer(pool, stream);
    }

    /** Scratch of {@code bytes} from the pool, valid until it is closed. */
    DeviceBuffer scratch(long bytes) {
        return pool.acquire(bytes);
    }

    /**
     * The handle of a caller's stream for a device entry point, after checking that it is on this op's device and
     * making that device current on the calling thread.
     */
    long handle(CudaStream stream) {
        if (stream == null) throw new IllegalArgumentException("stream must not be null");
        if (stream.deviceId() != pool.deviceId()) {
            throw new IllegalArgumentException("stream: on device " + stream.deviceId() + ", this op's memory is on device "
                    + pool.deviceId());
        }
        long handle = stream.handle();
        CudaRuntime.useDevice(pool.deviceId());
        return handle;
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

    /** The refusal of the maskrcnn-benchmark ("+1" box convention, Masker) variants, which have no CUDA kernels. */
    static UnsupportedOperationException legacyUnsupported(String op) {
        return new UnsupportedOperationException(op + ": the CUDA ops do not serve maskrcnn-benchmark's conventions "
                + "(flavour maskrcnn_benchmark); use the CPU ops");
    }

    static UnsupportedOperationException mmdetectionUnsupported(String op) {
        return new UnsupportedOperationException(op + ": the CUDA ops do not serve mmdetection's conventions "
                + "(flavour mmdetection); use the CPU ops");
    }
}
