package dev.maskrt.engine.tensorrt;

import java.util.Arrays;

/**
 * A float32 tensor in device memory for the device-side path of {@link TensorRtEngine}: an address (e.g. of a
 * {@link dev.maskrt.ops.cuda.DeviceBuffer} from the CUDA backend's pool) and a row-major shape. It owns nothing.
 *
 * @param address the device address of element 0 (0 only for an empty tensor)
 * @param shape   the shape, every dimension {@code >= 0}
 */
public record DeviceTensor(long address, long[] shape) {
    public DeviceTensor {
        if (shape == null) throw new IllegalArgumentException("shape must not be null");
        shape = shape.clone();
        for (int i = 0; i < shape.length; i++) {
            if (shape[i] < 0) throw new IllegalArgumentException("shape[" + i + "] must be >= 0, got " + shape[i]);
        }
        if (address == 0 && elements(shape) != 0) throw new IllegalArgumentException("address must not be 0");
    }

    @Override
    public long[] shape() { return shape.clone(); }

    /** Bytes of the values (float32). */
    public long bytes() { return 4L * elements(shape); }

    static long elements(long[] shape) {
        long n = 1;
        for (long d : shape) n = Math.multiplyExact(n, d);
        return n;
    }

    @Override
    public String toString() {
        return "DeviceTensor" + Arrays.toString(shape) + "@0x" + Long.toHexString(address);
    }
}
