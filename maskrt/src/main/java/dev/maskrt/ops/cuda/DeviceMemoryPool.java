package dev.maskrt.ops.cuda;

import dev.maskrt.error.CudaException;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;

/**
 * A caching allocator of device memory: sizes are rounded up to a power of two (at least 256 bytes) and a
 * released block is kept for the next request of its size class, so after the first inference of a given size
 * no further {@code cudaMalloc} happens. {@link #close()} frees every cached block (blocks still held are freed
 * when their buffers close afterwards); it is idempotent.
 *
 * <p>Blocks are reused as soon as they are released, so a caller must release a buffer only when the work that
 * uses it is finished or enqueued on the same stream as the next user. Thread-safe.
 */
public final class DeviceMemoryPool implements AutoCloseable {
    private static final long MIN_BLOCK = 256;

    private final int deviceId;
    private final Map<Long, ArrayDeque<Long>> free = new HashMap<>();
    private long mallocCalls;
    private boolean closed;

    /**
     * A pool of memory on device {@code deviceId}, which every allocation and free makes current on the calling
     * thread first ({@code maskrt_set_device}); ops, streams and buffers made from this pool use the same device.
     *
     * @throws IllegalArgumentException when {@code deviceId} is not a visible device
     * @throws CudaException            when CUDA is unavailable
     */
    public DeviceMemoryPool(int deviceId) {
        CudaRuntime.requireDevice(deviceId);
        this.deviceId = deviceId;
    }

    /** The device this pool allocates on. */
    public int deviceId() {
        return deviceId;
    }

    /**
     * A buffer of at least {@code bytes} bytes.
     *
     * @param bytes {@code >= 0}
     * @throws IllegalArgumentException if {@code bytes} is negative
     * @throws IllegalStateException    when the pool is closed
     * @throws CudaException            when the device is out of memory
     */
    public synchronized DeviceBuffer acquire(long bytes) {
        if (bytes < 0) throw new IllegalArgumentException("bytes must be >= 0, got " + bytes);
        if (closed) throw new IllegalStateException("pool is closed");
        if (bytes == 0) return new DeviceBuffer(this, 0, 0, 0);
        long capacity = Math.max(MIN_BLOCK, Long.highestOneBit(bytes - 1) << 1);
        ArrayDeque<Long> cached = free.get(capacity);
        if (cached != null && !cached.isEmpty()) {
            return new DeviceBuffer(this, cached.pop(), bytes, capacity);
        }
        CudaRuntime.useDevice(deviceId);
        long[] ptr = new long[1];
        int status = CudaNative.maskrt_malloc(ptr, capacity);
        if (status != CudaRuntime.OK) {
            trim(); // give cached blocks back and try once more
            status = CudaNative.maskrt_malloc(ptr, capacity);
        }
        CudaRuntime.check(status, "cudaMalloc(" + capacity + ")");
        mallocCalls++;
        return new DeviceBuffer(this, ptr[0], bytes, capacity);
    }

    /** How many times this pool has called {@code cudaMalloc}. */
    public synchronized long mallocCalls() {
        return mallocCalls;
    }

    synchronized void release(long address, long capacity) {
        if (capacity == 0) return;
        if (closed) {
            CudaRuntime.useDevice(deviceId);
            CudaNative.maskrt_free(address);
            return;
        }
        free.computeIfAbsent(capacity, c -> new ArrayDeque<>()).push(address);
    }

    /** Frees every cached block. */
    public synchronized void trim() {
        if (free.values().stream().allMatch(ArrayDeque::isEmpty)) return;
        CudaRuntime.useDevice(deviceId);
        for (ArrayDeque<Long> blocks : free.values()) {
            for (long a : blocks) CudaNative.maskrt_free(a);
            blocks.clear();
        }
    }

    @Override
    public synchronized void close() {
        if (!closed) {
            trim();
            closed = true;
        }
    }
}
