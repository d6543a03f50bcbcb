package dev.maskrt.engine;

import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;

/**
 * What a graph, or a package's manifest, declares about one input or output: its name, element type and shape. A
 * dynamic dimension is {@code -1} in {@link #shape()}, with its symbolic name (e.g. {@code "num_rois"} in a graph,
 * {@code "R"} or {@code "H/4"} in a manifest) if one is given.
 * Immutable and thread-safe.
 */
public final class TensorSpec {
    /** The value of a dynamic dimension in {@link #shape()}. */
    public static final long DYNAMIC = -1;

    private final String name;
    private final ElementType type;
    private final long[] shape;
    private final String[] dimensionNames;

    /**
     * @param shape          one entry per axis, {@code >= 0} for a fixed size or {@link #DYNAMIC}
     * @param dimensionNames one entry per axis: the symbolic name of a dynamic axis, or null / empty for none
     */
    public TensorSpec(String name, ElementType type, long[] shape, String[] dimensionNames) {
        if (name == null) throw new IllegalArgumentException("name must not be null");
        if (type == null) throw new IllegalArgumentException("type must not be null");
        if (shape == null) throw new IllegalArgumentException("shape must not be null");
        if (dimensionNames == null) dimensionNames = new String[shape.length];
        if (dimensionNames.length != shape.length) {
            throw new IllegalArgumentException("dimensionNames: " + dimensionNames.length + " names for rank " + shape.length);
        }
        this.name = name;
        this.type = type;
        this.shape = new long[shape.length];
        this.dimensionNames = new String[shape.length];
        for (int i = 0; i < shape.length; i++) {
            if (shape[i] < DYNAMIC) throw new IllegalArgumentException("shape[" + i + "] must be >= -1, got " + shape[i]);
            this.shape[i] = shape[i];
            String d = dimensionNames[i];
            this.dimensionNames[i] = d == null || d.isEmpty() ? null : d;
        }
    }

    public String name() {
        return name;
    }

    public ElementType type() {
        return type;
    }

    /** The declared shape (a copy): fixed sizes, {@link #DYNAMIC} for dynamic axes. */
    public long[] shape() {
        return shape.clone();
    }

    public int rank() {
        return shape.length;
    }

    public boolean isDynamic(int axis) {
        return shape[axis] == DYNAMIC;
    }

    /** Whether axis {@code axis} has a fixed size. */
    public boolean isFixed(int axis) {
        return shape[axis] != DYNAMIC;
    }

    /** The fixed size of axis {@code axis}, or {@link #DYNAMIC} for a dynamic one. */
    public long size(int axis) {
        return shape[axis];
    }

    /**
     * The symbolic name of a dynamic axis (e.g. {@code "R"} or {@code "H/4"} in a manifest), or {@code "?"} when the
     * graph does not name it; for a fixed axis its size as text.
     */
    public String symbol(int axis) {
        if (shape[axis] != DYNAMIC) return Long.toString(shape[axis]);
        return dimensionNames[axis] != null ? dimensionNames[axis] : "?";
    }

    /** The symbolic name of axis {@code axis}, if the graph names it. */
    public Optional<String> dimensionName(int axis) {
        return Optional.ofNullable(dimensionNames[axis]);
    }

    /** The shape as text, e.g. {@code [num_rois, 4, 7, 7]} ({@code ?} for an unnamed dynamic axis). */
    public String shapeText() {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < shape.length; i++) {
            if (i > 0) sb.append(", ");
            if (shape[i] != DYNAMIC) sb.append(shape[i]);
            else sb.append(dimensionNames[i] != null ? dimensionNames[i] : "?");
        }
        return sb.append(']').toString();
    }

    @Override
    public String toString() {
        return name + ": " + type + " " + shapeText();
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof TensorSpec)) return false;
        TensorSpec t = (TensorSpec) o;
        return name.equals(t.name) && type == t.type && Arrays.equals(shape, t.shape)
                && Arrays.equals(dimensionNames, t.dimensionNames);
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, type, Arrays.hashCode(shape), Arrays.hashCode(dimensionNames));
    }
}
