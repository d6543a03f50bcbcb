package dev.maskrt.engine;

import java.util.List;

/**
 * A graph input or output as the manifest declares it: its name and shape, each dimension either a fixed size
 * ({@link Integer}) or a symbolic name ({@link String}, e.g. {@code "R"} or {@code "H/4"}) for a dynamic one.
 *
 * @param name tensor name in the graph
 * @param dims one entry per axis, {@code Integer} or {@code String}
 */
public record TensorDeclaration(String name, List<Object> dims) {
    public TensorDeclaration {
        dims = List.copyOf(dims);
    }

    public int rank() { return dims.size(); }

    /** Whether axis {@code axis} has a fixed size. */
    public boolean isFixed(int axis) { return dims.get(axis) instanceof Integer; }

    /** The fixed size of axis {@code axis}, or -1 when it is symbolic. */
    public int fixedSize(int axis) { return isFixed(axis) ? (Integer) dims.get(axis) : -1; }

    /** The shape as text, e.g. {@code [R, 16, 7, 7]}. */
    public String shapeText() { return dims.toString(); }
}
