package dev.maskrt.engine.tensorrt;

import dev.maskrt.engine.ElementType;
import dev.maskrt.engine.TensorSpec;
import dev.maskrt.engine.GraphDeclaration;
import dev.maskrt.error.InputFormatException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Which tensor of one engine goes to which device buffer, and its shapes: every input and output the manifest
 * declares gets a slot (inputs first, in manifest order, then outputs), its shape at the profile's min / opt / max
 * (symbolic dimensions such as {@code H/4} evaluated as {@code ceil(H / 4)}, as the backbone's strided layers
 * produce for padded sizes) and the bytes its buffer needs at the max (float32). Pure Java; immutable and
 * thread-safe.
 *
 * <p>{@link #checkAgainst} checks the plan against the I/O the ONNX graph itself declares, so an engine is never
 * built for tensors the pipeline would bind wrongly.
 */
public final class BindingPlan {
    /** Whether a binding is read or written by the engine. */
    public enum Role { INPUT, OUTPUT }

    /**
     * One tensor binding.
     *
     * @param slot     index of its device buffer (inputs first, then outputs)
     * @param name     tensor name in the graph
     * @param role     input or output
     * @param min      shape at the profile's min
     * @param opt      shape at the profile's opt
     * @param max      shape at the profile's max
     * @param maxBytes bytes of the largest tensor this binding can hold (float32)
     */
    public record Binding(int slot, String name, Role role, long[] min, long[] opt, long[] max, long maxBytes) {
        public Binding {
            min = min.clone();
            opt = opt.clone();
            max = max.clone();
        }

        @Override
        public long[] min() { return min.clone(); }

        @Override
        public long[] opt() { return opt.clone(); }

        @Override
        public long[] max() { return max.clone(); }

        @Override
        public String toString() {
            return "#" + slot + " " + role + " " + name + " max " + Arrays.toString(max) + " (" + maxBytes + " bytes)";
        }
    }

    private final GraphDeclaration graph;
    private final GraphProfile profile;
    private final List<Binding> bindings;

    private BindingPlan(GraphDeclaration graph, GraphProfile profile, List<Binding> bindings) {
        this.graph = graph;
        this.profile = profile;
        this.bindings = List.copyOf(bindings);
    }

    /**
     * The plan of {@code graph} under {@code profile}.
     *
     * @throws IllegalArgumentException when a declared dimension uses a symbol the profile does not define or an
     *                                  expression other than {@code S} or {@code S/k}
     */
    public static BindingPlan of(GraphDeclaration graph, GraphProfile profile) {
        if (graph == null) throw new IllegalArgumentException("graph must not be null");
        if (profile == null) throw new IllegalArgumentException("profile must not be null");
        if (!graph.file().equals(profile.graphFile())) {
            throw new IllegalArgumentException("profile: is for " + profile.graphFile() + ", not " + graph.file());
        }
        List<Binding> out = new ArrayList<>();
        for (TensorSpec t : graph.inputs()) out.add(binding(out.size(), t, Role.INPUT, graph, profile));
        for (TensorSpec t : graph.outputs()) out.add(binding(out.size(), t, Role.OUTPUT, graph, profile));
        return new BindingPlan(graph, profile, out);
    }

    public GraphDeclaration graph() { return graph; }

    public GraphProfile profile() { return profile; }

    /** Every binding, by slot. */
    public List<Binding> bindings() { return bindings; }

    /** The binding of tensor {@code name}. */
    public Binding binding(String name) {
        for (Binding b : bindings) if (b.name().equals(name)) return b;
        throw new IllegalArgumentException("name: " + graph.file() + " has no tensor '" + name + "'");
    }

    /**
     * The shape of tensor {@code name} for concrete symbol values (e.g. {@code N=1, H=320, W=448}).
     *
     * @throws IllegalArgumentException when a symbol it uses has no value
     */
    public long[] shape(String name, Map<String, Long> symbolValues) {
        TensorSpec t = declaration(name);
        long[] s = new long[t.rank()];
        for (int i = 0; i < s.length; i++) {
            s[i] = t.isFixed(i) ? t.size(i) : evaluate(t.symbol(i), symbolValues, graph, t);
        }
        return s;
    }

    /**
     * The symbol values that the input shapes give, e.g. {@code image [1, 3, 320, 448]} gives {@code N=1, H=320,
     * W=448}.
     *
     * @throws IllegalArgumentException when an input is missing, has the wrong rank or lies outside the profile
     */
    public Map<String, Long> symbolValues(Map<String, long[]> inputShapes) {
        Map<String, Long> values = new HashMap<>();
        for (TensorSpec t : graph.inputs()) {
            long[] shape = inputShapes.get(t.name());
            if (shape == null) throw new IllegalArgumentException("inputShapes: missing '" + t.name() + "' of " + graph.file());
            if (shape.length != t.rank()) {
                throw new IllegalArgumentException("inputShapes: '" + t.name() + "' has rank " + shape.length + ", "
                        + graph.file() + " declares " + t.shapeText());
            }
            ShapeRange r = profile.inputs().get(t.name());
            if (r != null && !r.contains(shape)) {
                throw new IllegalArgumentException("inputShapes: '" + t.name() + "' " + Arrays.toString(shape)
                        + " is outside " + graph.file() + "'s optimisation profile (" + r + ")");
            }
            for (int i = 0; i < shape.length; i++) {
                if (!t.isFixed(i)) values.put(t.symbol(i), shape[i]);
            }
        }
        return values;
    }

    /**
     * Checks this plan against the I/O the ONNX graph declares (e.g. {@link dev.maskrt.engine.Engine#inputs()} of an
     * ONNX Runtime session): the same input and output names (bound by name, so in any order), float32, the same ranks, equal
     * fixed sizes, and a dynamic ONNX axis wherever the profile lets the size vary.
     *
     * @throws InputFormatException naming the graph file, the tensor and the axis
     */
    public void checkAgainst(List<TensorSpec> onnxInputs, List<TensorSpec> onnxOutputs) {
        if (onnxInputs == null || onnxOutputs == null) throw new IllegalArgumentException("onnx specs must not be null");
        checkSide("input", graph.inputs(), onnxInputs, Role.INPUT);
        checkSide("output", graph.outputs(), onnxOutputs, Role.OUTPUT);
    }

    private void checkSide(String what, List<TensorSpec> declared, List<TensorSpec> onnx, Role role) {
        List<String> names = declared.stream().map(TensorSpec::name).toList();
        List<String> onnxNames = onnx.stream().map(TensorSpec::name).toList();
        if (!new java.util.HashSet<>(names).equals(new java.util.HashSet<>(onnxNames)) || names.size() != onnxNames.size()) {
            throw new InputFormatException(graph.file() + ": the graph's " + what + "s are " + onnxNames
                    + " but the binding plan (manifest " + graph.field() + ") has " + names);
        }
        for (TensorSpec spec : onnx) {
            Binding b = binding(spec.name());
            String where = graph.file() + ": " + what + " '" + spec.name() + "'";
            if (spec.type() != ElementType.FLOAT32) {
                throw new InputFormatException(where + " is " + spec.type() + "; TensorRT bindings are float32");
            }
            if (spec.rank() != b.min.length) {
                throw new InputFormatException(where + " has shape " + spec.shapeText() + " but the binding plan has rank "
                        + b.min.length);
            }
            for (int i = 0; i < spec.rank(); i++) {
                boolean varies = b.min[i] != b.max[i];
                if (spec.isDynamic(i)) continue;
                long fixed = spec.shape()[i];
                if (varies) {
                    throw new InputFormatException(where + " axis " + i + " is fixed at " + fixed + " in the graph but "
                            + "the optimisation profile needs " + b.min[i] + ".." + b.max[i]);
                }
                if (fixed != b.min[i]) {
                    throw new InputFormatException(where + " axis " + i + " is " + fixed + " in the graph but "
                            + b.min[i] + " in the binding plan");
                }
            }
        }
    }

    private TensorSpec declaration(String name) {
        for (TensorSpec t : graph.inputs()) if (t.name().equals(name)) return t;
        for (TensorSpec t : graph.outputs()) if (t.name().equals(name)) return t;
        throw new IllegalArgumentException("name: " + graph.file() + " has no tensor '" + name + "'");
    }

    private static Binding binding(int slot, TensorSpec t, Role role, GraphDeclaration g, GraphProfile p) {
        long[][] shapes = new long[3][t.rank()];
        for (int which = 0; which < 3; which++) {
            Map<String, Long> values = new HashMap<>();
            for (Map.Entry<String, long[]> e : p.symbols().entrySet()) values.put(e.getKey(), e.getValue()[which]);
            for (int i = 0; i < t.rank(); i++) {
                shapes[which][i] = t.isFixed(i) ? t.size(i) : evaluate(t.symbol(i), values, g, t);
            }
        }
        long elements = 1;
        for (long d : shapes[2]) elements = Math.multiplyExact(elements, d);
        return new Binding(slot, t.name(), role, shapes[0], shapes[1], shapes[2], Math.multiplyExact(elements, 4L));
    }

    /** {@code S} or {@code S/k} (ceiling division). */
    private static long evaluate(String expr, Map<String, Long> values, GraphDeclaration g, TensorSpec t) {
        String e = expr.replace(" ", "");
        int slash = e.indexOf('/');
        String symbol = slash < 0 ? e : e.substring(0, slash);
        Long v = values.get(symbol);
        if (v == null) {
            throw new IllegalArgumentException(g.file() + ": tensor '" + t.name() + "' dimension '" + expr
                    + "' uses symbol '" + symbol + "', which no input of the profile defines");
        }
        if (slash < 0) return v;
        long k;
        try {
            k = Long.parseLong(e.substring(slash + 1));
        } catch (NumberFormatException x) {
            throw new IllegalArgumentException(g.file() + ": tensor '" + t.name() + "' dimension '" + expr
                    + "' is not of the form S or S/k");
        }
        if (k < 1) throw new IllegalArgumentException(g.file() + ": tensor '" + t.name() + "' dimension '" + expr + "' divides by " + k);
        return (v + k - 1) / k;
    }
}
