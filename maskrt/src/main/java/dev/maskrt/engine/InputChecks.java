package dev.maskrt.engine;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Checks run inputs against a graph's declared inputs; shared by every {@link Engine} implementation
 * (public for the TensorRT engine's package). Thread-safe. */
public final class InputChecks {
    private InputChecks() {}

    /**
     * Throws {@link IllegalArgumentException} naming the graph, the tensor and the dimension unless {@code inputs}
     * holds exactly the declared inputs, each with the declared rank and fixed dimensions.
     */
    public static void check(String graph, List<TensorSpec> declared, Map<String, HostTensor> inputs) {
        if (inputs == null) throw new IllegalArgumentException("graph " + graph + ": inputs must not be null");
        List<String> names = new ArrayList<>();
        for (TensorSpec spec : declared) names.add(spec.name());
        for (Map.Entry<String, HostTensor> e : inputs.entrySet()) {
            if (!names.contains(e.getKey())) {
                throw new IllegalArgumentException("graph " + graph + ": unknown input '" + e.getKey()
                        + "' (the graph's inputs are " + names + ")");
            }
            if (e.getValue() == null) {
                throw new IllegalArgumentException("graph " + graph + ": input '" + e.getKey() + "' is null");
            }
        }
        for (TensorSpec spec : declared) {
            HostTensor t = inputs.get(spec.name());
            if (t == null) {
                throw new IllegalArgumentException("graph " + graph + ": missing input '" + spec.name() + "' "
                        + spec.shapeText());
            }
            if (t.rank() != spec.rank()) {
                throw new IllegalArgumentException("graph " + graph + ": input '" + spec.name() + "' has rank "
                        + t.rank() + " (shape " + java.util.Arrays.toString(t.shape()) + ") but the graph declares rank "
                        + spec.rank() + " " + spec.shapeText());
            }
            long[] want = spec.shape();
            for (int axis = 0; axis < want.length; axis++) {
                if (want[axis] != TensorSpec.DYNAMIC && want[axis] != t.dim(axis)) {
                    throw new IllegalArgumentException("graph " + graph + ": input '" + spec.name() + "' dimension "
                            + axis + " is " + t.dim(axis) + " but the graph fixes it at " + want[axis] + " "
                            + spec.shapeText());
                }
            }
        }
    }
}
