package dev.maskrt.ops.cuda;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.javacpp.Pointer;

/**
 * Copies between Java arrays and pooled device buffers on one stream, for the host-array entry points (parity
 * tests, simple callers). Uploads are staged in native host memory that lives until the stream is synchronised;
 * downloads synchronise the stream. Not thread-safe: one per call.
 */
final class HostTransfer implements AutoCloseable {
    private final DeviceMemoryPool pool;
    private final CudaStream stream;
    private final java.util.ArrayList<AutoCloseable> owned = new java.util.ArrayList<>();

    HostTransfer(DeviceMemoryPool pool, CudaStream stream) {
        this.pool = pool;
        this.stream = stream;
    }

    /** A device buffer owned by this transfer (returned to the pool on close). */
    DeviceBuffer allocate(long bytes) {
        DeviceBuffer b = pool.acquire(bytes);
        owned.add(b);
        return b;
    }

    long upload(float[] values) {
        return upload(new FloatPointer(values), 4L * values.length);
    }

    long upload(int[] values) {
        return upload(new IntPointer(values), 4L * values.length);
    }

    long upload(byte[] values) {
        return upload(new BytePointer(values), values.length);
    }

    long upload(long[] values) {
        return upload(new LongPointer(values), 8L * values.length);
    }

    private long upload(Pointer staged, long bytes) {
        owned.add(staged); // kept alive until close, after the stream has been synchronised
        DeviceBuffer b = allocate(bytes);
        CudaRuntime.check(CudaNative.maskrt_copy_to_device(b.address(), staged, bytes, stream.handle()),
                "cudaMemcpyAsync(host to device)");
        return b.address();
    }

    float[] downloadFloats(long address, int count) {
        FloatPointer p = new FloatPointer(Math.max(count, 1));
        owned.add(p);
        download(p, address, 4L * count);
        float[] out = new float[count];
        p.get(out);
        return out;
    }

    int[] downloadInts(long address, int count) {
        IntPointer p = new IntPointer(Math.max(count, 1));
        owned.add(p);
        download(p, address, 4L * count);
        int[] out = new int[count];
        p.get(out);
        return out;
    }

    long[] downloadLongs(long address, int count) {
        LongPointer p = new LongPointer(Math.max(count, 1));
        owned.add(p);
        download(p, address, 8L * count);
        long[] out = new long[count];
        p.get(out);
        return out;
    }

    byte[] downloadBytes(long address, long count) {
        if (count > Integer.MAX_VALUE - 8) throw new IllegalArgumentException("download of " + count + " bytes");
        BytePointer p = new BytePointer(Math.max(count, 1));
        owned.add(p);
        download(p, address, count);
        byte[] out = new byte[(int) count];
        p.get(out);
        return out;
    }

    private void download(Pointer p, long address, long bytes) {
        CudaRuntime.check(CudaNative.maskrt_copy_to_host(p, address, bytes, stream.handle()),
                "cudaMemcpyAsync(device to host)");
        stream.synchronize();
    }

    long stream() {
        return stream.handle();
    }

    /** Synchronises the stream, then returns the buffers to the pool and frees the staging memory. */
    @Override
    public void close() {
        try {
            stream.synchronize();
        } finally {
            for (AutoCloseable c : owned) {
                try {
                    c.close();
                } catch (Exception e) {
                    // staging memory and pooled buffers do not fail to close
                }
            }
            owned.clear();
        }
    }
}
