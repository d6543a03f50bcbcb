package dev.maskrt.cascade;

import dev.maskrt.engine.HostTensor;
import java.nio.FloatBuffer;

/** Small conversions between engine tensors and the ops' arrays. */
final class Tensors {
    private Tensors() {}

    /** The values of {@code t} as an array: the tensor's own heap array when it has one, else a copy. */
    static float[] array(HostTensor t) {
        FloatBuffer b = t.buffer();
        if (b.hasArray() && b.arrayOffset() == 0 && b.array().length == t.size()) return b.array();
        return t.toArray();
    }
}
