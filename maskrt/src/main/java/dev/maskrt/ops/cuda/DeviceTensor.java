package dev.maskrt.ops.cuda;

import java.util.Arrays;

/**
 * A row-major float32 tensor in device memory: a shape over a {@link DeviceBuffer}, which stays the one type that
 * holds device memory (this view owns nothing and closes nothing). Used where a device entry point needs shapes as
 * well as memory: TensorRT bindings ({@code engine.tensorrt.TensorRtEngine#enqueue}) and RoIAlign's feature maps.
 *
 * @param buffer the memory, at least {@code 4 * elements(shape)} bytes
 * @param shape  the shape, every dimension {@code >= 0}
 */
public record DeviceTensor(DeviceBuffer buffer, long[] shape) {
    /**
     * @throws IllegalArgumentException when {@code buffer} or {@code shape} is null, a dimension is negative, the
     *                                  element count overflows, or the buffer is smaller than the tensor
     */
    public DeviceTensor {
        if (buffer == null) throw new IllegalArgumentException("buffer must not be null");
        if (shape == null) throw new IllegalArgumentException("shape must not be null");
        shape = shape.clone();
        for (int i = 0; i < shape.length; i++) {
            if (shape[i] < 0) throw new IllegalArgumentException("shape[" + i + "] must be >= 0, got " + shape[i]);
        }
        long bytes;
        try {
            bytes = Math.multiplyExact(4L, elements(shape));
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " has too many elements");
        }
        if (buffer.bytes() < bytes) {
            throw new IllegalArgumentException("buffer: " + buffer.bytes() + " bytes hold no float32 tensor of shape "
                    + Arrays.toString(shape) + " (" + bytes + " bytes)");
        }
    }

    @Override
    public long[] shape() { return shape.clone(); }

    /** Bytes of the values (float32). */
    public long bytes() { return 4L * elements(shape); }

    /**
     * The device address of element 0, for binding to a native API.
     *
     * @throws IllegalStateException when the buffer is closed
     */
    public long address() { return buffer.address(); }

    /**
     * The number of elements of a shape.
     *
     * @throws ArithmeticException when it overflows a {@code long}
     */
    public static long elements(long[] shape) {
        long n = 1;
        for (long d : shape) n = Math.multiplyExact(n, d);
        return n;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof DeviceTensor t && t.buffer == buffer && Arrays.equals(t.shape, shape);
    }

    @Override
    public int hashCode() {
        return 31 * System.identityHashCode(buffer) + Arrays.hashCode(shape);
    }

    @Override
    public String toString() {
        return "DeviceTensor" + Arrays.toString(shape) + " in " + buffer;
    }
}
