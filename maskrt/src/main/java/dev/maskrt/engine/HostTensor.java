package dev.maskrt.engine;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Arrays;

/**
 * A float32 tensor in host memory: a shape and a {@link FloatBuffer} of exactly {@code product(shape)} values in
 * row-major (C) order, the layout of an NCHW feature map or an {@code [R, K]} matrix.
 *
 * <p>The values are shared, not copied: {@link #wrap(float[], long...)} and {@link #wrap(FloatBuffer, long...)}
 * view the caller's storage, and {@link #buffer()} returns a view of this tensor's storage. Engines read direct
 * buffers in native byte order (as made by {@link #allocateDirect(long...)}) without copying them; heap buffers
 * are copied once into native memory when an engine runs.
 *
 * <p>The shape is fixed; the values are not, so a tensor is thread-safe only as long as nobody writes to it.
 */
public final class HostTensor {
    private final long[] shape;
    private final int size;
    private final FloatBuffer data;

    private HostTensor(long[] shape, int size, FloatBuffer data) {
        this.shape = shape;
        this.size = size;
        this.data = data;
    }

    /** A zero-filled tensor in a direct, native-order buffer (the form engines read without a copy). */
    public static HostTensor allocateDirect(long... shape) {
        long[] s = checkedShape(shape);
        int n = elementCount(s);
        FloatBuffer buffer = ByteBuffer.allocateDirect(n * Float.BYTES).order(ByteOrder.nativeOrder()).asFloatBuffer();
        return new HostTensor(s, n, buffer);
    }

    /** A tensor over {@code values} (shared, not copied); {@code values.length} must equal the shape's product. */
    public static HostTensor wrap(float[] values, long... shape) {
        if (values == null) throw new IllegalArgumentException("values must not be null");
        return wrap(FloatBuffer.wrap(values), shape);
    }

    /**
     * A tensor over the remaining elements of {@code buffer} (from its position to its limit; shared, not copied),
     * whose count must equal the shape's product. The buffer's position and limit are not changed.
     */
    public static HostTensor wrap(FloatBuffer buffer, long... shape) {
        if (buffer == null) throw new IllegalArgumentException("buffer must not be null");
        long[] s = checkedShape(shape);
        int n = elementCount(s);
        if (buffer.remaining() != n) {
            throw new IllegalArgumentException("buffer: " + buffer.remaining() + " remaining values do not match shape "
                    + Arrays.toString(s) + " (" + n + " values)");
        }
        return new HostTensor(s, n, buffer.slice());
    }

    /** The shape (a copy); every dimension is {@code >= 0}. */
    public long[] shape() {
        return shape.clone();
    }

    public int rank() {
        return shape.length;
    }

    /** The size of dimension {@code axis}. */
    public long dim(int axis) {
        if (axis < 0 || axis >= shape.length) {
            throw new IllegalArgumentException("axis " + axis + " is out of range for rank " + shape.length);
        }
        return shape[axis];
    }

    /** Number of values (the product of the shape; 1 for a scalar, 0 when any dimension is 0). */
    public int size() {
        return size;
    }

    /** A view of the values (shares storage), position 0 and limit {@link #size()}. */
    public FloatBuffer buffer() {
        return data.duplicate().clear();
    }

    /** Whether the values live in a direct buffer in native byte order (engines read those without a copy). */
    public boolean isDirectNative() {
        return data.isDirect() && data.order() == ByteOrder.nativeOrder();
    }

    /** The value at flat row-major index {@code index}. */
    public float get(int index) {
        return data.get(index);
    }

    /** The values copied into a new array. */
    public float[] toArray() {
        float[] out = new float[size];
        data.duplicate().clear().get(out);
        return out;
    }

    @Override
    public String toString() {
        return "HostTensor" + Arrays.toString(shape);
    }

    static long[] checkedShape(long[] shape) {
        if (shape == null) throw new IllegalArgumentException("shape must not be null");
        for (int i = 0; i < shape.length; i++) {
            if (shape[i] < 0) {
                throw new IllegalArgumentException("shape[" + i + "] must be >= 0, got " + shape[i]);
            }
        }
        return shape.clone();
    }

    static int elementCount(long[] shape) {
        long n = 1;
        for (long d : shape) {
            n *= d;
            if (n > Integer.MAX_VALUE / Float.BYTES) {
                throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " holds too many values for one buffer");
            }
        }
        return (int) n;
    }
}
