package dev.maskrt.ops.cuda;

/**
 * A block of device memory of at least {@link #bytes()} bytes, from a {@link DeviceMemoryPool}. {@link #close()}
 * returns it to its pool (it is not freed, so steady-state inference does not call {@code cudaMalloc}); close is
 * idempotent, and a closed buffer's {@link #address()} throws.
 *
 * <p>Not thread-safe; a buffer belongs to one thread of work at a time.
 */
public final class DeviceBuffer implements AutoCloseable {
    private final DeviceMemoryPool pool;
    private final long bytes;
    private final long capacity;
    private long address;

    DeviceBuffer(DeviceMemoryPool pool, long address, long bytes, long capacity) {
        this.pool = pool;
        this.address = address;
        this.bytes = bytes;
        this.capacity = capacity;
    }

    /**
     * The device address, for binding to a native API; 0 for a zero-byte buffer.
     *
     * @throws IllegalStateException when the buffer is closed
     */
    public long address() {
        if (address == -1) throw new IllegalStateException("device buffer is closed");
        return address;
    }

    /** The device this buffer's memory is on (its pool's). */
    public int deviceId() {
        return pool.deviceId();
    }

    /** The size asked for, in bytes. */
    public long bytes() {
        return bytes;
    }

    long capacity() {
        return capacity;
    }

    /**
     * Enqueues a copy of {@code values} into this buffer on {@code stream} and waits for it (the source is
     * staged in native memory that is freed afterwards).
     *
     * @throws IllegalArgumentException when the values do not fit or the stream is on another device
     * @throws IllegalStateException    when this buffer or the stream is closed
     * @throws dev.maskrt.error.CudaException when the copy fails
     */
    public void upload(float[] values, CudaStream stream) {
        upload(new org.bytedeco.javacpp.FloatPointer(values), 4L * values.length, stream);
    }

    /**
     * As {@link #upload(float[], CudaStream)} for ints.
     *
     * @throws IllegalArgumentException when the values do not fit or the stream is on another device
     * @throws IllegalStateException    when this buffer or the stream is closed
     * @throws dev.maskrt.error.CudaException when the copy fails
     */
    public void upload(int[] values, CudaStream stream) {
        upload(new org.bytedeco.javacpp.IntPointer(values), 4L * values.length, stream);
    }

    private void upload(org.bytedeco.javacpp.Pointer staged, long count, CudaStream stream) {
        try (staged) {
            if (count > bytes) throw new IllegalArgumentException("values: " + count + " bytes > buffer " + bytes);
            if (stream.deviceId() != pool.deviceId()) {
                throw new IllegalArgumentException("stream: on device " + stream.deviceId() + ", this buffer is on device "
                        + pool.deviceId());
            }
            CudaRuntime.useDevice(pool.deviceId());
            CudaRuntime.check(CudaNative.maskrt_copy_to_device(address(), staged, count, stream.handle()),
                    "cudaMemcpyAsync(host to device)");
            stream.synchronize();
        }
    }

    /**
     * The address of {@code buffer} for a device entry point that reads or writes {@code bytes} bytes of it.
     *
     * @throws IllegalArgumentException naming the argument when {@code buffer} is null or smaller than {@code bytes}
     * @throws IllegalStateException    when it is closed
     */
    static long address(String name, DeviceBuffer buffer, long bytes) {
        if (buffer == null) throw new IllegalArgumentException(name + " must not be null");
        if (buffer.bytes < bytes) {
            throw new IllegalArgumentException(name + ": " + buffer.bytes + " bytes, the call needs " + bytes);
        }
        return buffer.address();
    }

    /** As {@link #address(String, DeviceBuffer, long)}, but a null {@code buffer} (an optional argument) gives 0. */
    static long optionalAddress(String name, DeviceBuffer buffer, long bytes) {
        return buffer == null ? 0 : address(name, buffer, bytes);
    }

    @Override
    public String toString() {
        return "DeviceBuffer[" + bytes + " bytes" + (address == -1 ? ", closed]" : " @0x" + Long.toHexString(address) + "]");
    }

    @Override
    public void close() {
        if (address != -1) {
            long a = address;
            address = -1;
            pool.release(a, capacity);
        }
    }
}
