package dev.maskrt.engine.tensorrt;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One graph's optimisation profile: a {@link ShapeRange} per input (in the manifest's input order) and the value
 * range of every symbolic dimension ({@code N}, {@code H}, {@code W}, {@code R}) it uses. Immutable.
 *
 * @param graphFile the graph file name in the package, e.g. {@code box_head_0.onnx}
 * @param inputs per input name, its shape range
 * @param symbols per symbolic dimension name, {@code {min, opt, max}}
 */
public record GraphProfile(String graphFile, Map<String, ShapeRange> inputs, Map<String, long[]> symbols) {
    public GraphProfile {
        inputs = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(inputs));
        Map<String, long[]> copy = new LinkedHashMap<>();
        symbols.forEach((k, v) -> copy.put(k, v.clone()));
        symbols = java.util.Collections.unmodifiableMap(copy);
    }

    /** The value of symbol {@code name} at {@code which} (0 = min, 1 = opt, 2 = max). */
    public long symbol(String name, int which) {
        long[] v = symbols.get(name);
        if (v == null) throw new IllegalArgumentException("symbol '" + name + "' is not part of " + graphFile + "'s profile");
        return v[which];
    }

    /** A canonical one-line text of this profile (for cache keys and logs). */
    public String canonicalText() {
        StringBuilder sb = new StringBuilder(graphFile).append(':');
        inputs.forEach((name, r) -> sb.append(' ').append(name).append(' ').append(r).append(';'));
        return sb.toString();
    }
}
